import { z } from 'zod';
import type { AppendedEvent, CommandAnswer, CommandErrorBody } from '../command';
import { text } from '../fields';
import { IsoTimeSchema, TeamIdSchema } from '../team/team-fields';
import { ModelNameSchema, ProviderNameSchema, UnitPricesSchema } from './usage-fields';

/*
 * The payloads of the usage context's model-settings commands (the `payload`
 * of a CommandEnvelope on `<prefix>cmd.usage.<Type>`, answered by
 * usage-metering). Time comes from the envelope's `issuedAt`, the actor from
 * its `actor`. Unknown fields are refused.
 */

/**
 * A workspace's price for one model: USD per token, exact decimals as text
 * (the gateway also takes prices per 1M tokens and converts them exactly).
 * `effectiveFrom` defaults to the command's `issuedAt`; with `rerate` the calls
 * of this provider/model from `effectiveFrom` to now are re-priced with
 * UsageCorrected events.
 */
export const SetModelPricingPayload = z
  .object({
    workspaceId: TeamIdSchema,
    provider: ProviderNameSchema,
    model: ModelNameSchema,
    unitPrices: UnitPricesSchema,
    effectiveFrom: IsoTimeSchema.optional(),
    rerate: z.boolean().default(false),
  })
  .strict();

/**
 * The model's API key, in clear, for usage-metering to seal with
 * @steward/secrets: it is never put in an event, a log or an answer (events
 * carry the secret's ref and a masked hint). Request/reply only, never a
 * persisted stream.
 */
export const SetModelApiKeyPayload = z
  .object({
    workspaceId: TeamIdSchema,
    provider: ProviderNameSchema,
    model: ModelNameSchema,
    apiKey: text({ min: 1, max: 4096, singleLine: true }),
  })
  .strict();

/** Deletes the model's API key. Clearing a key that is not set changes nothing (idempotent, `changed: false`). */
export const ClearModelApiKeyPayload = z.object({ workspaceId: TeamIdSchema, provider: ProviderNameSchema, model: ModelNameSchema }).strict();

/**
 * One change of a model's settings, decided at once on its workspace's stream: its price (as
 * SetModelPricing) and/or its API key (a string sets it as SetModelApiKey, null clears it as
 * ClearModelApiKey). What a PUT of the model sends, so a retry is one command.
 */
export const ConfigureModelPayload = z
  .object({
    workspaceId: TeamIdSchema,
    provider: ProviderNameSchema,
    model: ModelNameSchema,
    pricing: z.object({ unitPrices: UnitPricesSchema, effectiveFrom: IsoTimeSchema.optional(), rerate: z.boolean().default(false) }).strict().optional(),
    apiKey: text({ min: 1, max: 4096, singleLine: true }).nullable().optional(),
  })
  .strict()
  .refine((payload) => payload.pricing !== undefined || payload.apiKey !== undefined, { message: 'nothing to change: give pricing and/or apiKey', path: ['pricing'] });

export const UsageCommandPayloads = {
  SetModelPricing: SetModelPricingPayload,
  SetModelApiKey: SetModelApiKeyPayload,
  ClearModelApiKey: ClearModelApiKeyPayload,
  ConfigureModel: ConfigureModelPayload,
} as const;

export type UsageCommandType = keyof typeof UsageCommandPayloads;
export const USAGE_COMMAND_TYPES = Object.keys(UsageCommandPayloads) as UsageCommandType[];
export type UsageCommandPayload<T extends UsageCommandType> = z.output<(typeof UsageCommandPayloads)[T]>;
export type UsageCommandInput<T extends UsageCommandType> = z.input<(typeof UsageCommandPayloads)[T]>;

/** One event a usage command appended. */
export interface UsageAppendedEvent extends AppendedEvent {
  readonly eventId: string;
}

/**
 * What a model-settings handler answers when it accepts a command (`changed:
 * false`: the same price again, clearing a key that is not set).
 */
export type UsageCommandAnswer = CommandAnswer<UsageAppendedEvent>;

/**
 * What usage-metering answers when it refuses a model-settings command
 * (`{ code, message }`). Codes start with `MODELS_` so they never meet another
 * context's codes in the gateway's one table of statuses.
 */
export enum ModelSettingsErrorCode {
  /** The payload does not match the command's schema, or a rule on its values (400). */
  InvalidCommand = 'MODELS_INVALID_COMMAND',
  /** The actor may not change model settings in this workspace (403). */
  Forbidden = 'MODELS_FORBIDDEN',
  /** No such workspace for this actor (404). */
  NotFound = 'MODELS_NOT_FOUND',
  /** Concurrent changes kept winning; resend with the same command id (409). */
  Conflict = 'MODELS_CONFLICT',
  /** The event store or the secret store could not be reached; resend with the same command id (503). */
  Unavailable = 'MODELS_UNAVAILABLE',
}

/** `field`, for INVALID_COMMAND: the payload field at fault (`unitPrices.input`, `effectiveFrom`). */
export type ModelSettingsErrorBody = CommandErrorBody<ModelSettingsErrorCode>;

export const MODEL_SETTINGS_ERROR_HTTP_STATUS: Readonly<Record<ModelSettingsErrorCode, number>> = {
  [ModelSettingsErrorCode.InvalidCommand]: 400,
  [ModelSettingsErrorCode.Forbidden]: 403,
  [ModelSettingsErrorCode.NotFound]: 404,
  [ModelSettingsErrorCode.Conflict]: 409,
  [ModelSettingsErrorCode.Unavailable]: 503,
};
