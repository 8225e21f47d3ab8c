import { z } from 'zod';

const Prices = z.object({
  input: z.string(),
  output: z.string(),
  cacheRead: z.string().optional(),
  cacheCreation: z.string().optional(),
  reasoningOutput: z.string().optional(),
});

export const ModelPriceViewSchema = z.object({
  unitPrices: Prices.describe('USD per token, exact decimal text'),
  unitPricesPerMillionTokens: Prices.describe('USD per 1M tokens'),
  effectiveFrom: z.string(),
  setBy: z.string(),
  setAt: z.string(),
  rerate: z.boolean(),
});

export const ModelSettingsViewSchema = z.object({
  provider: z.string(),
  model: z.string(),
  currentPrice: ModelPriceViewSchema.nullable(),
  priceHistory: z.array(ModelPriceViewSchema),
  apiKey: z.enum(['Configured', 'Not Configured']),
  updatedAt: z.string(),
});

export const UnpricedModelSchema = z.object({
  provider: z.string(),
  model: z.string(),
  unpricedCalls: z.number().int(),
  pricing: z.literal('pricing not configured'),
});

export const ModelSettingsChangeSchema = z.object({
  provider: z.string(),
  model: z.string(),
  /** False when nothing changed (the same price again, clearing a key that was not set). */
  changed: z.boolean(),
  pricing: z
    .object({ unitPrices: Prices, unitPricesPerMillionTokens: Prices, effectiveFrom: z.string().nullable(), rerate: z.boolean() })
    .optional(),
  apiKey: z.enum(['Configured', 'Not Configured']).optional(),
});

export const CatalogueModelSchema = z.object({
  id: z.string(),
  modelName: z.string(),
  provider: z.string().nullable(),
  /** A regular expression over the model name (or `provider/model`); `flags` `i`: case-insensitive. */
  matchPattern: z.string(),
  flags: z.string(),
  unitPrices: Prices,
  unitPricesPerMillionTokens: Prices,
});

export const CataloguePageSchema = z.object({
  attribution: z.string(),
  source: z.string(),
  items: z.array(CatalogueModelSchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  pageCount: z.number().int(),
});
