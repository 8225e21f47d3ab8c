import { Decimal } from 'decimal.js';
import { TOKEN_TYPES, type Actor, type ModelPricingSetData, type UnitPrices, type UsageCommandPayload } from '@steward/contracts';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';
import { findModel, type ModelSettingsEvent, type ModelSettingsState } from './model-settings.state';

/** How far ahead a price may be scheduled. */
export const MAX_EFFECTIVE_FROM_AHEAD_MS = 366 * 24 * 3600 * 1000;
/** How far back a price correction may re-rate (one day stream read per day). */
export const MAX_RERATE_BACK_MS = 366 * 24 * 3600 * 1000;

interface CommandBase {
  readonly actor: Actor;
  /** ISO time the command was issued: deciders never read a clock. */
  readonly at: string;
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

export interface ModelSettingsDecisionState {
  readonly settings: ModelSettingsState;
  /** The workspace's organization (from the team context): events are scoped by both. */
  readonly organizationId: string;
}

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
export function decideModelSettings(command: ModelSettingsCommand, state: ModelSettingsDecisionState): ModelSettingsEvent[] {
  const scope = { organizationId: state.organizationId, workspaceId: command.payload.workspaceId };
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
      const existing = findModel(state.settings, payload.provider, payload.model)?.prices.find(
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
      const current = findModel(state.settings, payload.provider, payload.model)?.apiKey;
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
      if (!findModel(state.settings, payload.provider, payload.model)?.apiKey) return [];
      return [
        {
          type: 'ModelApiKeyCleared',
          data: { ...scope, provider: payload.provider, model: payload.model, clearedBy: actor.id, clearedAt: new Date(at).toISOString() },
        },
      ];
    }
    case 'ConfigureModel': {
      // the price and the key are separate settings: each is decided as its own command would, on the same state
      const { payload, actor, at } = command;
      const { workspaceId, provider, model, pricing, apiKey } = payload;
      const base = { actor, at };
      const target = { workspaceId, provider, model };
      return [
        ...(pricing ? decideModelSettings({ ...base, type: 'SetModelPricing', payload: { ...target, ...pricing } }, state) : []),
        ...(apiKey === undefined
          ? []
          : apiKey === null
            ? decideModelSettings({ ...base, type: 'ClearModelApiKey', payload: target }, state)
            : decideModelSettings({ ...base, type: 'SetModelApiKey', payload: { ...target, ...apiKey } }, state)),
      ];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}
