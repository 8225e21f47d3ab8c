import { z } from 'zod';
import { RUNTIME_CATEGORIES, RUNTIME_TEST_FAILURES, RuntimeCategorySchema, RuntimeProviderIdSchema } from '@steward/contracts';

const Time = z.string();

export const RuntimeViewSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  category: RuntimeCategorySchema,
  provider: RuntimeProviderIdSchema,
  providerLabel: z.string(),
  /** The non-secret configuration. */
  config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Each secret field's masked hint (`••••abcd`); never a value. */
  secrets: z.record(z.string(), z.object({ hint: z.string() })),
  isDefault: z.boolean(),
  createdBy: z.string(),
  createdAt: Time,
  updatedAt: Time,
  lastTest: z
    .object({
      testId: z.string(),
      status: z.enum(['pending', 'succeeded', 'failed']),
      requestedAt: Time,
      testedAt: Time.nullable(),
      statusCode: z.number().int().nullable(),
      latencyMs: z.number().int().nullable(),
      failure: z.enum(RUNTIME_TEST_FAILURES).nullable(),
      message: z.string().nullable(),
    })
    .nullable(),
});

export const RuntimeCountsSchema = z.object(Object.fromEntries(['all', ...RUNTIME_CATEGORIES].map((key) => [key, z.number().int()])) as Record<'all' | (typeof RUNTIME_CATEGORIES)[number], z.ZodNumber>);

export const RuntimePageSchema = z.object({
  items: z.array(RuntimeViewSchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  pageCount: z.number().int(),
  /** The count chip of each tab: All Runtimes and each category. */
  counts: RuntimeCountsSchema,
});

export const RuntimeDefaultsSchema = z.object(
  Object.fromEntries(RUNTIME_CATEGORIES.map((category) => [category, RuntimeViewSchema.nullable()])) as Record<(typeof RUNTIME_CATEGORIES)[number], z.ZodNullable<typeof RuntimeViewSchema>>,
);

export const RuntimeTestAcceptedSchema = z.object({ testId: z.string(), runtimeId: z.string(), status: z.literal('pending') });

const JsonObject = z.record(z.string(), z.unknown());
export const RuntimeProviderCatalogueSchema = z.object({
  categories: z.array(
    z.object({
      id: RuntimeCategorySchema,
      label: z.string(),
      providers: z.array(
        z.object({
          id: RuntimeProviderIdSchema,
          label: z.string(),
          category: RuntimeCategorySchema,
          probe: z.string(),
          secretFields: z.array(z.string()),
          guide: z.string(),
          configSchema: JsonObject,
        }),
      ),
    }),
  ),
  guides: z.array(z.object({ id: z.string(), title: z.string(), summary: z.string(), steps: z.array(z.string()) })),
});
