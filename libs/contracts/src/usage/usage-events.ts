import { z } from 'zod';
import { hash } from 'node:crypto';
import { defineEvent } from '../registry';
import { TokenCountSchema, freeText, storedText } from '../fields';
import { IsoTimeSchema, TeamIdSchema } from '../team/team-fields';
import {
  DecimalStringSchema,
  UnitPricesSchema,
  UsageIngestPathSchema,
  UsageStatusSchema,
} from './usage-fields';

/*
 * The usage context's events, version 1. Streams (see UsageStreams):
 *   usage-<workspaceId>-<yyyymmdd>   UsageRecorded, UsageCorrected (by the UTC day of the call)
 *   usage-models-<workspaceId>       ModelPricingSet, ModelApiKeySet, ModelApiKeyCleared
 */

const scoped = { organizationId: TeamIdSchema, workspaceId: TeamIdSchema };

// Names and ids as published (see storedText): the ingest schemas hold new ones to the vocabulary's rules.
const UsageIdSchema = storedText(256);
const UsageSourceSchema = storedText(256);
const AgentNameSchema = storedText(200);
const ProviderNameSchema = storedText(100).transform((provider) => provider.toLowerCase());
const ModelNameSchema = storedText(200);

/** How a recorded call was priced. `unpriced`: no price was found, cost is 0 (the screen says "pricing not configured"). */
export const UsagePricingSchema = z.discriminatedUnion('status', [
  z
    .object({
      status: z.literal('priced'),
      /** `workspace`: a price set in the workspace's model settings; `catalogue`: the built-in catalogue. */
      source: z.enum(['workspace', 'catalogue']),
      /** Which price: the workspace price's effective-from, or the catalogue entry's id. Traceability. */
      ref: storedText(300),
      unitPrices: UnitPricesSchema,
    })
    .strict(),
  z.object({ status: z.literal('unpriced') }).strict(),
]);
export type UsagePricing = z.infer<typeof UsagePricingSchema>;

/** One metered LLM call, priced. The event id is `usageEventIdFor(workspaceId, source, usageId)`. */
export const UsageRecorded = defineEvent({
  type: 'UsageRecorded',
  version: 1,
  context: 'usage',
  schema: z
    .object({
      ...scoped,
      usageId: UsageIdSchema,
      source: UsageSourceSchema,
      time: IsoTimeSchema,
      agent: AgentNameSchema,
      provider: ProviderNameSchema,
      model: ModelNameSchema,
      inputTokens: TokenCountSchema,
      outputTokens: TokenCountSchema,
      cacheReadInputTokens: TokenCountSchema,
      cacheCreationInputTokens: TokenCountSchema,
      reasoningOutputTokens: TokenCountSchema,
      /** Bounded at the edge (LatencyMsSchema); here any safe integer, which bigint sums hold exactly. */
      responseTimeMs: z.number().int().min(0),
      status: UsageStatusSchema,
      errorType: storedText(200).optional(),
      jobId: storedText(200).optional(),
      budgetReservationId: storedText(200).optional(),
      /** USD, exact. */
      cost: DecimalStringSchema,
      pricing: UsagePricingSchema,
      receivedAt: IsoTimeSchema,
      via: UsageIngestPathSchema,
    })
    .strict(),
});

/**
 * A recorded call re-rated (a price correction for a past period). Never an
 * update in place: the new cost is `previousCost + delta`; read models add
 * `delta` to the bucket of the original call (`time`).
 */
export const UsageCorrected = defineEvent({
  type: 'UsageCorrected',
  version: 1,
  context: 'usage',
  schema: z
    .object({
      ...scoped,
      /** The event id of the UsageRecorded being corrected. */
      usageEventId: z.uuid(),
      usageId: UsageIdSchema,
      source: UsageSourceSchema,
      time: IsoTimeSchema,
      agent: AgentNameSchema,
      provider: ProviderNameSchema,
      model: ModelNameSchema,
      previousCost: DecimalStringSchema,
      cost: DecimalStringSchema,
      delta: DecimalStringSchema,
      pricing: UsagePricingSchema,
      reason: freeText(500).min(1),
      correctedAt: IsoTimeSchema,
    })
    .strict(),
});

/** A workspace's price for one model, from `effectiveFrom` on (until a later one takes over). */
export const ModelPricingSet = defineEvent({
  type: 'ModelPricingSet',
  version: 1,
  context: 'usage',
  schema: z
    .object({
      ...scoped,
      provider: ProviderNameSchema,
      model: ModelNameSchema,
      unitPrices: UnitPricesSchema,
      effectiveFrom: IsoTimeSchema,
      setBy: storedText(200),
      setAt: IsoTimeSchema,
      /** When set, calls from `effectiveFrom` to now are re-rated with UsageCorrected. */
      rerate: z.boolean(),
    })
    .strict(),
});

/** A model's API key was stored (encrypted, outside the event): only a reference and a masked hint travel. */
export const ModelApiKeySet = defineEvent({
  type: 'ModelApiKeySet',
  version: 1,
  context: 'usage',
  schema: z
    .object({
      ...scoped,
      provider: ProviderNameSchema,
      model: ModelNameSchema,
      secretRef: storedText(200),
      /** The last 4 characters, e.g. `••••abcd`. */
      hint: freeText(16),
      setBy: storedText(200),
      setAt: IsoTimeSchema,
    })
    .strict(),
});

export const ModelApiKeyCleared = defineEvent({
  type: 'ModelApiKeyCleared',
  version: 1,
  context: 'usage',
  schema: z
    .object({ ...scoped, provider: ProviderNameSchema, model: ModelNameSchema, clearedBy: storedText(200), clearedAt: IsoTimeSchema })
    .strict(),
});

export const USAGE_EVENTS = [UsageRecorded, UsageCorrected, ModelPricingSet, ModelApiKeySet, ModelApiKeyCleared] as const;

export type UsageRecordedData = z.infer<typeof UsageRecorded.schema>;
export type UsageCorrectedData = z.infer<typeof UsageCorrected.schema>;
export type ModelPricingSetData = z.infer<typeof ModelPricingSet.schema>;
export type ModelApiKeySetData = z.infer<typeof ModelApiKeySet.schema>;
export type ModelApiKeyClearedData = z.infer<typeof ModelApiKeyCleared.schema>;

/**
 * The event id of the UsageRecorded for (workspace, source, id): the dedup key.
 * The store's event ids are unique, so the same call recorded again — by any
 * path, at any later time — is refused in the transaction of the append itself.
 */
export function usageEventIdFor(workspaceId: string, source: string, usageId: string): string {
  // One-shot digest to hex (no Hash object, no Buffer): four times cheaper than createHash, once per metered call.
  const hex = hash('sha256', `steward:usage:${workspaceId.length}:${workspaceId}:${source.length}:${source}:${usageId}`, 'hex');
  // The first 16 bytes, version 8 (nibble 12) and the RFC 4122 variant (the top two bits of nibble 16: 10).
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${VARIANT_NIBBLE[parseInt(hex[16]!, 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const VARIANT_NIBBLE = ['8', '9', 'a', 'b'] as const;

/** Every usage stream starts with this. */
export const USAGE_STREAM_PREFIX = 'usage-';

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A time as `toISOString` writes it (UTC, milliseconds); text already written so is taken as it is, unparsed. */
export function canonicalTime(time: string | Date): string {
  return typeof time === 'string' && CANONICAL_TIME.test(time) ? time : new Date(time).toISOString();
}

export const UsageStreams = {
  /** Recorded and corrected calls of a workspace, one stream per UTC day of the call (`time`). */
  usage: (workspaceId: string, time: string | Date): string => {
    const iso = canonicalTime(time);
    return `usage-${workspaceId}-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
  },
  /** The ModelSettings aggregate of a workspace. */
  models: (workspaceId: string): string => `usage-models-${workspaceId}`,
} as const;
