import { z } from 'zod';
import { InstantSchema, nameText } from '../fields';
import { TeamIdSchema } from '../team/team-fields';
import { MAX_USAGE_BATCH, UsageEventSchema, UsageIngestPathSchema } from './usage-fields';

/**
 * The message on `<p>usage.ingest.<workspaceId>` (JetStream stream
 * `<PREFIX>_USAGE_INGEST`, see `usageIngestNames` in @steward/messaging): one accepted batch. The gateway
 * publishes one per HTTP request (Nats-Msg-Id = `batchId`), internal agents
 * publish their own. usage-metering consumes it and appends one
 * `UsageRecorded` per event, deduplicated by (workspace, source, id).
 */
export const UsageIngestBatchSchema = z
  .object({
    /** Unique per batch; the JetStream message id, so a re-publish of the same batch is dropped. */
    batchId: nameText(200),
    workspaceId: TeamIdSchema,
    /** Known at the gateway; internal publishers may leave it out (metering looks it up). */
    organizationId: TeamIdSchema.optional(),
    receivedAt: InstantSchema,
    via: UsageIngestPathSchema,
    /** Who sent it: `api_key:<keyId>`, `user:<userId>`, `service:<name>`. */
    actor: nameText(200).optional(),
    events: z.array(UsageEventSchema).min(1).max(MAX_USAGE_BATCH),
  })
  .strict();
export type UsageIngestBatch = z.output<typeof UsageIngestBatchSchema>;
export type UsageIngestBatchInput = z.input<typeof UsageIngestBatchSchema>;
