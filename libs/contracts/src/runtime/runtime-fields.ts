import { z } from 'zod';
import { MAX_LATENCY_MS, text } from '../fields';
import { IsoTimeSchema } from '../team/team-fields';
import { resourceIdSchema } from '../ids';

/** The three tabs of the Runtime Environments page. */
export const RUNTIME_CATEGORIES = ['data_ingestion', 'spark_processing', 'python_execution'] as const;
export const RuntimeCategorySchema = z.enum(RUNTIME_CATEGORIES);
export type RuntimeCategory = z.infer<typeof RuntimeCategorySchema>;

export const RUNTIME_CATEGORY_LABELS: Readonly<Record<RuntimeCategory, string>> = {
  data_ingestion: 'Data Ingestion',
  spark_processing: 'Spark / Processing',
  python_execution: 'Python Execution',
};

/**
 * Every provider id, unique across categories (Kubernetes is both an ingestion
 * cluster and a Python runtime: `onprem_k8s` and `kubernetes`). The order is
 * the schema's; the catalogue lists them by category.
 */
export const RUNTIME_PROVIDER_IDS = [
  'gke',
  'eks',
  'aks',
  'onprem_k8s',
  'databricks',
  'databricks_serverless',
  'dataproc',
  'dataproc_serverless',
  'emr_serverless',
  'synapse_serverless',
  'snowflake',
  'vertex_ai',
  'kubernetes',
  'cloud_run',
  'lambda',
  'fargate',
  'docker',
] as const;
export const RuntimeProviderIdSchema = z.enum(RUNTIME_PROVIDER_IDS);
export type RuntimeProviderId = z.infer<typeof RuntimeProviderIdSchema>;

/** A runtime's id: `rt_…` (the gateway derives it from the command id); older `rt-<32 hex>` ids stay valid. */
export const RuntimeIdSchema = resourceIdSchema('runtime');

/** A connection test's id: `tst_…`, derived from the command id like the runtime's. */
export const RuntimeTestIdSchema = resourceIdSchema('runtimeTest');

/** Runtime Name (required), unique per workspace and category (case-insensitive, spaces trimmed). */
export const RuntimeNameSchema = text({ min: 1, max: 120, trim: true });

/** The key that makes two names the same name. */
export function runtimeNameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A non-secret configuration value. */
export const RuntimeConfigValueSchema = z.union([text({ max: 20_000 }), z.number(), z.boolean()]);
export const RuntimeConfigSchema = z.record(text({ min: 1, max: 64 }), RuntimeConfigValueSchema);
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;

/** A secret field as events and read models carry it: where it is, and its masked hint. */
export const SecretReferenceSchema = z.object({ ref: text({ min: 1, max: 200 }), hint: text({ max: 16 }) }).strict();
export type SecretReference = z.infer<typeof SecretReferenceSchema>;
export const SecretReferencesSchema = z.record(text({ min: 1, max: 64 }), SecretReferenceSchema);

/** How a connection test failed (the message says it in words). */
export const RUNTIME_TEST_FAILURES = [
  'unauthorized',
  'forbidden',
  'not_found',
  'http_error',
  'timeout',
  'tls',
  'dns',
  'unreachable',
  'invalid_credentials',
  'invalid_response',
] as const;
export const RuntimeTestFailureSchema = z.enum(RUNTIME_TEST_FAILURES);
export type RuntimeTestFailure = z.infer<typeof RuntimeTestFailureSchema>;

/** What a connection test found: as the worker reports it (RecordRuntimeTestResult) and the outcome events record it. */
export const runtimeTestFindings = {
  /** What was called, e.g. `GET https://k8s.example.com/version` (no credentials in it). */
  probe: text({ min: 1, max: 500 }),
  /** The HTTP status of the last attempt, null when none came back (timeout, DNS, TLS). */
  statusCode: z.number().int().min(100).max(599).nullable(),
  latencyMs: z.number().int().min(0).max(MAX_LATENCY_MS),
  attempts: z.number().int().min(1).max(10),
  /** Human-readable, never containing a secret. */
  message: text({ min: 1, max: 1000 }),
  testedAt: IsoTimeSchema,
};
