import { Decimal } from 'decimal.js';
import type { Decider } from '@steward/commands';
import {
  TOKEN_TYPES,
  type Actor,
  type ModelApiKeyClearedData,
  type ModelApiKeySetData,
  type ModelPricingSetData,
  type UnitPrices,
  type UsageCommandPayload,
} from '@steward/contracts';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';

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

const initialState: ModelSettingsState = { models: {} };

export type ModelSettingsEvent =
  | { readonly type: 'ModelPricingSet'; readonly data: ModelPricingSetData }
  | { readonly type: 'ModelApiKeySet'; readonly data: ModelApiKeySetData }
  | { readonly type: 'ModelApiKeyCleared'; readonly data: ModelApiKeyClearedData };

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

/** A workspace's ModelSettings stream folded. */
function evolve(state: ModelSettingsState, event: ModelSettingsEvent): ModelSettingsState {
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
      return state;
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

/** How far ahead a price may be scheduled. */
export const MAX_EFFECTIVE_FROM_AHEAD_MS = 366 * 24 * 3600 * 1000;
/** How far back a price correction may re-rate (one day stream read per day). */
export const MAX_RERATE_BACK_MS = 366 * 24 * 3600 * 1000;

interface CommandBase {
  readonly actor: Actor;
  /** ISO time the command was issued: deciders never read a clock. */
  readonly at: string;
  /** The workspace's organization (from the team context): events are scoped by both. */
  readonly organizationId: string;
}

/** The API key as the decider sees it: already sealed in the secret store by the handler. */
export interface SealedModelApiKey {
  readonly workspaceId: string;
  readonly provider: string;
  readonly model: string;
  readonly secretRef: string;
  readonly hint: string;
}

/** ConfigureModel as the decider sees it: a new API key already sealed (`null`: clear it). */
export interface ConfiguredModel extends Omit<UsageCommandPayload<'ConfigureModel'>, 'apiKey'> {
  readonly apiKey?: Omit<SealedModelApiKey, 'workspaceId' | 'provider' | 'model'> | null;
}

export type ModelSettingsCommand =
  | (CommandBase & { readonly type: 'SetModelPricing'; readonly payload: UsageCommandPayload<'SetModelPricing'> })
  | (CommandBase & { readonly type: 'SetModelApiKey'; readonly payload: SealedModelApiKey })
  | (CommandBase & { readonly type: 'ClearModelApiKey'; readonly payload: UsageCommandPayload<'ClearModelApiKey'> })
  | (CommandBase & { readonly type: 'ConfigureModel'; readonly payload: ConfiguredModel });

function invalid(field: string, message: string): ModelSettingsError {
  return new ModelSettingsError(ModelSettingsErrorCode.InvalidCommand, `${field}: ${message}`, field);
}

/** Equal prices: the same token types, numerically equal (`"0.10"` = `"0.1"`). */
export function samePrices(a: UnitPrices, b: UnitPrices): boolean {
  return TOKEN_TYPES.every((type) => {
    const x = a[type];
    const y = b[type];
    if (x === undefined || y === undefined) return x === y;
    return new Decimal(x).equals(y);
  });
}

/**
 * Model settings: prices per token type with an effective-from, and a model's
 * API key (held as a secret ref). Rules:
 * - prices are exact non-negative decimals (the contract's schema) — refused here too;
 * - `effectiveFrom` (default: now) at most a year ahead; a re-rate needs an
 *   effective-from in the past, at most a year back;
 * - the same price for the same effective-from again changes nothing;
 * - clearing a key that is not set changes nothing (idempotent, like the PUT it comes from).
 */
function decide(command: ModelSettingsCommand, state: ModelSettingsState): ModelSettingsEvent[] {
  const scope = { organizationId: command.organizationId, workspaceId: command.payload.workspaceId };
  switch (command.type) {
    case 'SetModelPricing': {
      const { payload, actor, at } = command;
      for (const type of TOKEN_TYPES) {
        const value = payload.unitPrices[type];
        if (value !== undefined && value.startsWith('-')) throw invalid(`unitPrices.${type}`, 'a price must not be negative');
      }
      const now = Date.parse(at);
      const effectiveFrom = new Date(payload.effectiveFrom ?? at).toISOString();
      const from = Date.parse(effectiveFrom);
      if (from > now + MAX_EFFECTIVE_FROM_AHEAD_MS) throw invalid('effectiveFrom', 'at most one year ahead');
      if (payload.rerate && from > now) throw invalid('effectiveFrom', 'a re-rate corrects past calls: effectiveFrom must not lie in the future');
      if (payload.rerate && from < now - MAX_RERATE_BACK_MS) throw invalid('effectiveFrom', 'a re-rate reaches at most one year back');
      const existing = findModel(state, payload.provider, payload.model)?.prices.find(
        (price) => Date.parse(price.effectiveFrom) === from,
      );
      if (existing && samePrices(existing.unitPrices, payload.unitPrices)) return [];
      const data: ModelPricingSetData = {
        ...scope,
        provider: payload.provider,
        model: payload.model,
        unitPrices: payload.unitPrices,
        effectiveFrom,
        setBy: actor.id,
        setAt: new Date(at).toISOString(),
        rerate: payload.rerate,
      };
      return [{ type: 'ModelPricingSet', data }];
    }
    case 'SetModelApiKey': {
      const { payload, actor, at } = command;
      const current = findModel(state, payload.provider, payload.model)?.apiKey;
      if (current?.secretRef === payload.secretRef) return [];
      return [
        {
          type: 'ModelApiKeySet',
          data: {
            ...scope,
            provider: payload.provider,
            model: payload.model,
            secretRef: payload.secretRef,
            hint: payload.hint,
            setBy: actor.id,
            setAt: new Date(at).toISOString(),
          },
        },
      ];
    }
    case 'ClearModelApiKey': {
      const { payload, actor, at } = command;
      if (!findModel(state, payload.provider, payload.model)?.apiKey) return [];
      return [
        {
          type: 'ModelApiKeyCleared',
          data: { ...scope, provider: payload.provider, model: payload.model, clearedBy: actor.id, clearedAt: new Date(at).toISOString() },
        },
      ];
    }
    case 'ConfigureModel': {
      // the price and the key are separate settings: each is decided as its own command would, on the same state
      const { payload, actor, at, organizationId } = command;
      const { workspaceId, provider, model, pricing, apiKey } = payload;
      const base = { actor, at, organizationId };
      const target = { workspaceId, provider, model };
      return [
        ...(pricing ? decide({ ...base, type: 'SetModelPricing', payload: { ...target, ...pricing } }, state) : []),
        ...(apiKey === undefined
          ? []
          : apiKey === null
            ? decide({ ...base, type: 'ClearModelApiKey', payload: target }, state)
            : decide({ ...base, type: 'SetModelApiKey', payload: { ...target, ...apiKey } }, state)),
      ];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** A workspace's model settings: its stream is `UsageStreams.models(workspaceId)`. */
export const modelSettingsDecider: Decider<ModelSettingsCommand, ModelSettingsState, ModelSettingsEvent> = { decide, evolve, initialState };
