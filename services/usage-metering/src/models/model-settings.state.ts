import type { ModelApiKeyClearedData, ModelApiKeySetData, ModelPricingSetData, UnitPrices } from '@steward/contracts';

/** One price of a model, from `effectiveFrom` on (until a later effective-from takes over). */
export interface ModelPrice {
  readonly unitPrices: UnitPrices;
  readonly effectiveFrom: string;
  readonly setBy: string;
  readonly setAt: string;
}

export interface ModelApiKeyRef {
  readonly secretRef: string;
  readonly hint: string;
  readonly setAt: string;
}

export interface ModelEntry {
  readonly provider: string;
  readonly model: string;
  /** Ordered by effective-from, oldest first; one entry per effective-from (a later set replaces it). */
  readonly prices: readonly ModelPrice[];
  readonly apiKey: ModelApiKeyRef | undefined;
}

/** The ModelSettings aggregate of one workspace (stream `UsageStreams.models(workspaceId)`). */
export interface ModelSettingsState {
  /** By `modelKey(provider, model)`. */
  readonly models: Readonly<Record<string, ModelEntry>>;
}

export const initialModelSettingsState: ModelSettingsState = { models: {} };

export type ModelSettingsEvent =
  | { readonly type: 'ModelPricingSet'; readonly data: ModelPricingSetData }
  | { readonly type: 'ModelApiKeySet'; readonly data: ModelApiKeySetData }
  | { readonly type: 'ModelApiKeyCleared'; readonly data: ModelApiKeyClearedData };

export const MODEL_SETTINGS_EVENT_TYPES: ReadonlySet<string> = new Set<ModelSettingsEvent['type']>([
  'ModelPricingSet',
  'ModelApiKeySet',
  'ModelApiKeyCleared',
]);

/** Providers are lower-cased by the contract; model names keep their case. */
export function modelKey(provider: string, model: string): string {
  return `${provider.toLowerCase()}\u0000${model}`;
}

function entryOf(state: ModelSettingsState, provider: string, model: string): ModelEntry {
  return state.models[modelKey(provider, model)] ?? { provider: provider.toLowerCase(), model, prices: [], apiKey: undefined };
}

function withEntry(state: ModelSettingsState, entry: ModelEntry): ModelSettingsState {
  return { models: { ...state.models, [modelKey(entry.provider, entry.model)]: entry } };
}

export function evolveModelSettings(state: ModelSettingsState, event: ModelSettingsEvent): ModelSettingsState {
  switch (event.type) {
    case 'ModelPricingSet': {
      const { provider, model, unitPrices, effectiveFrom, setBy, setAt } = event.data;
      const entry = entryOf(state, provider, model);
      const at = Date.parse(effectiveFrom);
      const price: ModelPrice = { unitPrices, effectiveFrom, setBy, setAt };
      const prices = [...entry.prices.filter((existing) => Date.parse(existing.effectiveFrom) !== at), price].sort(
        (a, b) => Date.parse(a.effectiveFrom) - Date.parse(b.effectiveFrom),
      );
      return withEntry(state, { ...entry, prices });
    }
    case 'ModelApiKeySet': {
      const { provider, model, secretRef, hint, setAt } = event.data;
      return withEntry(state, { ...entryOf(state, provider, model), apiKey: { secretRef, hint, setAt } });
    }
    case 'ModelApiKeyCleared': {
      const { provider, model } = event.data;
      return withEntry(state, { ...entryOf(state, provider, model), apiKey: undefined });
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** The price in force at `at`: the one with the latest effective-from not after `at`. */
export function priceAt(entry: ModelEntry | undefined, at: Date | string): ModelPrice | undefined {
  if (!entry) return undefined;
  const time = typeof at === 'string' ? Date.parse(at) : at.getTime();
  let found: ModelPrice | undefined;
  for (const price of entry.prices) {
    if (Date.parse(price.effectiveFrom) <= time) found = price;
    else break;
  }
  return found;
}

export function findModel(state: ModelSettingsState, provider: string, model: string): ModelEntry | undefined {
  return state.models[modelKey(provider, model)];
}

export function foldModelSettings(events: readonly ModelSettingsEvent[], from: ModelSettingsState = initialModelSettingsState): ModelSettingsState {
  return events.reduce(evolveModelSettings, from);
}
