import { z } from 'zod';

const Money = z.string().describe('USD, an exact decimal as text');

const Range = {
  workspaceIds: z.array(z.string()),
  /** Effective range (quarter-hour aligned), ISO 8601 UTC. */
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
};

/**
 * A sum of token counts. Exact up to 2^53 − 1 (about 9 × 10^15 tokens); a larger sum is still answered, rounded to
 * the nearest double, rather than refused: a tenant's own usage must never turn its dashboards into errors. Costs
 * are exact decimal text whatever the size.
 */
const TokenSum = z.number().nonnegative().describe('tokens: exact up to 2^53 - 1, rounded beyond');

const Tokens = z.object({
  total: TokenSum,
  input: TokenSum,
  output: TokenSum,
  cacheRead: TokenSum,
  cacheCreation: TokenSum,
  reasoningOutput: TokenSum,
});

export const UsageSummarySchema = z.object({
  ...Range,
  totalCost: Money,
  calls: z.number().int(),
  errors: z.number().int(),
  tokens: Tokens,
  /** Milliseconds; null with no calls. */
  averageResponseTimeMs: z.number().nullable(),
  /** Percent of calls that succeeded; null with no calls. */
  successRate: z.number().nullable(),
  /** USD per token; null with no tokens. */
  costPerToken: z.string().nullable(),
  /** Calls recorded without a price (cost 0): "pricing not configured" when above 0. */
  unpricedCalls: z.number().int(),
  pricingConfigured: z.boolean(),
});

export const UsageTimelineSchema = z.object({
  ...Range,
  interval: z.enum(['hour', 'day', 'week', 'month']),
  points: z.array(
    z.object({
      /** The bucket's local start with its offset. */
      bucket: z.string(),
      start: z.string(),
      end: z.string(),
      cost: Money,
      calls: z.number().int(),
      errors: z.number().int(),
      unpricedCalls: z.number().int(),
      tokens: Tokens,
    }),
  ),
});

export const UsageByModelSchema = z.object({
  ...Range,
  totalCost: Money,
  models: z.array(
    z.object({
      provider: z.string(),
      model: z.string(),
      cost: Money,
      /** Percent of the total cost (display only). */
      share: z.number(),
      calls: z.number().int(),
    }),
  ),
});

export const UsageModelsSchema = z.object({
  ...Range,
  items: z.array(
    z.object({
      provider: z.string(),
      model: z.string(),
      calls: z.number().int(),
      errors: z.number().int(),
      unpricedCalls: z.number().int(),
      tokens: Tokens,
      cost: Money,
      averageResponseTimeMs: z.number().nullable(),
    }),
  ),
});

export const UsageEventsSchema = z.object({
  ...Range,
  items: z.array(
    z.object({
      id: z.string(),
      workspaceId: z.string(),
      usageId: z.string(),
      source: z.string(),
      timestamp: z.string(),
      agent: z.string(),
      provider: z.string(),
      model: z.string(),
      tokens: Tokens,
      cost: Money,
      responseTimeMs: z.number().int(),
      status: z.enum(['success', 'error']),
      errorType: z.string().nullable(),
      /** False: no price was configured for this model when it was recorded (cost 0). */
      priced: z.boolean(),
      jobId: z.string().nullable(),
      /** How many times a price correction re-rated this call. */
      corrections: z.number().int(),
    }),
  ),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  pageCount: z.number().int(),
});

const StatementGroup = z.object({
  jobId: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  priced: z.boolean(),
  calls: z.number().int(),
  lines: z.array(
    z.object({
      tokenType: z.enum(['input', 'cacheRead', 'cacheCreation', 'output', 'reasoningOutput']),
      quantity: TokenSum,
      /** USD per token; null when unpriced. */
      unitPrice: z.string().nullable(),
      /** Credits per token. */
      unitPriceCredits: z.string().nullable(),
      totalUsd: Money,
      totalCredits: z.string(),
    }),
  ),
  totalUsd: Money,
  totalCredits: z.string(),
});

export const UsageStatementSchema = z.object({
  workspaceIds: z.array(z.string()),
  /** `YYYY-MM`, a UTC calendar month. */
  month: z.string(),
  creditsPerUsd: z.string(),
  models: z.array(StatementGroup),
  jobs: z.array(StatementGroup),
  calls: z.number().int(),
  unpricedCalls: z.number().int(),
  totalUsd: Money,
  totalCredits: z.string(),
});
