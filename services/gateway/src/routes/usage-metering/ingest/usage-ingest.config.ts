/** The ingest stream's limits are read by every process that ensures the stream: see @steward/messaging. */
export { usageIngestStreamOptionsFromEnv } from '@steward/messaging';
