import type { UsageIngestStreamOptions } from '@steward/messaging';

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not ${text}`);
  return value;
}

/**
 * The ingest stream's limits from the environment (defaults: USAGE_INGEST_DEFAULTS):
 * GATEWAY_USAGE_INGEST_MAX_MESSAGES (batches waiting to be metered), GATEWAY_USAGE_INGEST_MAX_BYTES,
 * GATEWAY_USAGE_INGEST_REPLICAS. Past them the ingest routes answer 429 with Retry-After.
 */
export function usageIngestStreamOptionsFromEnv(env: NodeJS.ProcessEnv, prefix: string): UsageIngestStreamOptions {
  const maxMessages = positive(env, 'GATEWAY_USAGE_INGEST_MAX_MESSAGES');
  const maxBytes = positive(env, 'GATEWAY_USAGE_INGEST_MAX_BYTES');
  const replicas = positive(env, 'GATEWAY_USAGE_INGEST_REPLICAS');
  return {
    prefix,
    ...(maxMessages !== undefined ? { maxMessages } : {}),
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
  };
}
