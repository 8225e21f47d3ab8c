import { z } from 'zod';
import { InstantSchema, LatencyMsSchema, TokenCountSchema, clientId, nameText, priceText } from '../fields';

/**
 * An exact decimal as text (`"0.000002500000"`, `"-1.5"`): money and prices
 * never travel as a JavaScript number. Compute with a decimal library, store
 * as PostgreSQL `numeric`.
 */
export const DecimalStringSchema = z
  .string()
  .max(60)
  .regex(/^-?(0|[1-9]\d*)(\.\d+)?$/, 'an exact decimal as text, e.g. "0.0000025"');

/** A price per token: a non-negative exact decimal, bounded (see priceText). */
export const NonNegativeDecimalStringSchema = priceText();

/** Where a usage event entered Steward. */
export const USAGE_INGEST_PATHS = ['http', 'cloudevents', 'nats', 'otlp'] as const;
export const UsageIngestPathSchema = z.enum(USAGE_INGEST_PATHS);
export type UsageIngestPath = z.infer<typeof UsageIngestPathSchema>;

export const USAGE_STATUSES = ['success', 'error'] as const;
export const UsageStatusSchema = z.enum(USAGE_STATUSES);
export type UsageStatus = z.infer<typeof UsageStatusSchema>;

/** The token types a price can name (USD per token). */
export const TOKEN_TYPES = ['input', 'output', 'cacheRead', 'cacheCreation', 'reasoningOutput'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/**
 * USD per token for each token type. `input` prices the input tokens that were
 * neither read from nor written to a cache; `output` the output tokens that were
 * not reasoning. A missing cache or reasoning price falls back to the input or
 * output price.
 */
export const UnitPricesSchema = z
  .object({
    input: NonNegativeDecimalStringSchema,
    output: NonNegativeDecimalStringSchema,
    cacheRead: NonNegativeDecimalStringSchema.optional(),
    cacheCreation: NonNegativeDecimalStringSchema.optional(),
    reasoningOutput: NonNegativeDecimalStringSchema.optional(),
  })
  .strict();
export type UnitPrices = z.infer<typeof UnitPricesSchema>;

/** The caller's id of a call: a client-supplied id (see CLIENT_ID_PATTERN). */
export const UsageIdSchema = clientId(256);
/** Where a call was reported from (a CloudEvents source: a URI reference or a name): one line of text. */
export const UsageSourceSchema = nameText(256);
export const AgentNameSchema = nameText(200);
export const ProviderNameSchema = nameText(100).transform((provider) => provider.toLowerCase());
export const ModelNameSchema = nameText(200);

/** The agent name used when a usage event does not name one. */
export const UNNAMED_AGENT = 'unassigned';

/**
 * One LLM call as an agent reports it (DESIGN §6), in Steward's field names:
 * the item of `POST /v1/workspaces/{wsId}/usage`, the `data` of an `llm.usage`
 * CloudEvent (after its GenAI names are mapped) and of a NATS ingest batch.
 * `(workspace, source, id)` identifies the call: the same triple again is the
 * same call, counted once, however and whenever it is sent.
 *
 * Input tokens include the cached ones (cache read and cache creation), and
 * output tokens include the reasoning ones, as in the OpenTelemetry GenAI
 * conventions: a token is never counted (or priced) twice.
 */
export const UsageEventSchema = z
  .object({
    id: UsageIdSchema,
    source: UsageSourceSchema,
    time: InstantSchema,
    agent: AgentNameSchema.default(UNNAMED_AGENT),
    provider: ProviderNameSchema,
    model: ModelNameSchema,
    inputTokens: TokenCountSchema.default(0),
    outputTokens: TokenCountSchema.default(0),
    cacheReadInputTokens: TokenCountSchema.default(0),
    cacheCreationInputTokens: TokenCountSchema.default(0),
    reasoningOutputTokens: TokenCountSchema.default(0),
    responseTimeMs: LatencyMsSchema.default(0),
    status: UsageStatusSchema.default('success'),
    errorType: nameText(200).optional(),
    jobId: clientId().optional(),
    budgetReservationId: clientId().optional(),
  })
  .strict()
  .superRefine((event, context) => {
    if (event.cacheReadInputTokens + event.cacheCreationInputTokens > event.inputTokens) {
      context.addIssue({
        code: 'custom',
        path: ['cacheReadInputTokens'],
        message: 'inputTokens include the cached tokens: cacheReadInputTokens + cacheCreationInputTokens must not exceed inputTokens',
      });
    }
    if (event.reasoningOutputTokens > event.outputTokens) {
      context.addIssue({
        code: 'custom',
        path: ['reasoningOutputTokens'],
        message: 'outputTokens include the reasoning tokens: reasoningOutputTokens must not exceed outputTokens',
      });
    }
  });
/** A usage event as sent (defaults not yet applied). */
export type UsageEventInput = z.input<typeof UsageEventSchema>;
/** A usage event after validation (defaults applied, provider lower-cased). */
export type UsageEvent = z.output<typeof UsageEventSchema>;

/** The most usage events one HTTP request or one NATS ingest message may carry. */
export const MAX_USAGE_BATCH = 10_000;
