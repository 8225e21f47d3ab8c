import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { JetStreamClient, JetStreamManager, PubAck, StreamInfo } from '@nats-io/jetstream';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { ActorSchema, IsoTimeSchema, TeamIdSchema } from '@steward/contracts';
import { ensureStream, natsNames } from '@steward/messaging';

/**
 * Gateway reads (`Fetch`, `Fetch All`) in the activity log.
 *
 * Reads do NOT go through the event store: they are not domain facts (nothing
 * in the team context changes and no decider needs them), and they come at the
 * request rate of every GET, which would swamp the store, the relay and every
 * projection that filters them out. The gateway publishes one `ResourceRead`
 * per read to JetStream (`<p>activity.reads`, stream `<PREFIX>_ACTIVITY`), and a
 * durable consumer (`runActivityReadConsumer`) writes it to
 * `activity_reads.activity_entries` once, keyed by the entry's own UUID.
 */
export const RESOURCE_READ = 'ResourceRead';

/** `organization`, `workspace`, `member`, `api_key`, ...: lower-case snake case. */
export const ResourceTypeSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'resource types look like `api_key`');

export const ResourceReadSchema = z
  .object({
    type: z.literal(RESOURCE_READ),
    /** Chosen by the publisher: a redelivery or a re-publish records nothing new. */
    id: z.uuid(),
    organizationId: TeamIdSchema,
    workspaceId: TeamIdSchema.optional(),
    resourceType: ResourceTypeSchema,
    action: z.enum(['fetch', 'fetch_all']),
    resourceId: z.string().min(1).max(200).optional(),
    outcome: z.enum(['success', 'failure']),
    actor: ActorSchema,
    occurredAt: IsoTimeSchema,
    /** Default: "Fetched <type> <id>" / "Listed <type>". */
    summary: z.string().min(1).max(500).optional(),
  })
  .strict();
export type ResourceRead = z.infer<typeof ResourceReadSchema>;
/** What the gateway passes: `type` is implied, `id` and `occurredAt` default to a new UUID and now. */
export type ResourceReadInput = Omit<ResourceRead, 'type' | 'id' | 'occurredAt'> & { id?: string; occurredAt?: string };

/**
 * Many reads in one message (the gateway's ActivityReadBuffer publishes a round so: one NATS message and one
 * JetStream ack per round, not per read). Each entry keeps its own id: a read published twice, alone or in
 * two batches, is recorded once.
 */
export const RESOURCE_READS = 'ResourceReads';
export const MAX_READS_PER_MESSAGE = 500;
export const ResourceReadBatchSchema = z
  .object({ type: z.literal(RESOURCE_READS), reads: z.array(ResourceReadSchema).min(1).max(MAX_READS_PER_MESSAGE) })
  .strict();
export type ResourceReadBatch = z.infer<typeof ResourceReadBatchSchema>;

/** The reads of one message of `<p>activity.reads`: a single `ResourceRead` or a `ResourceReads` batch. */
export function decodeResourceReads(body: unknown): { ok: true; reads: ResourceRead[] } | { ok: false; field: string } {
  const batch = (body as { type?: unknown } | null)?.type === RESOURCE_READS;
  const parsed = batch ? ResourceReadBatchSchema.safeParse(body) : ResourceReadSchema.safeParse(body);
  if (!parsed.success) return { ok: false, field: parsed.error.issues[0]?.path.join('.') ?? '' };
  return { ok: true, reads: batch ? (parsed.data as ResourceReadBatch).reads : [parsed.data as ResourceRead] };
}

/** `<p>activity.reads`: where the gateway publishes reads. */
export function activityReadsSubject(prefix: string): string {
  return natsNames(prefix).subject('activity', 'reads');
}

/** `<PREFIX>_ACTIVITY`, holding `<p>activity.>`. */
export function activityStreamName(prefix: string): string {
  return natsNames(prefix).stream('activity');
}

/** Creates (or updates) the activity stream. Safe on every start, from the gateway and the consumer alike. */
export async function ensureActivityStream(jsm: JetStreamManager, prefix: string, options: { maxAgeMs?: number; replicas?: number } = {}): Promise<StreamInfo> {
  const names = natsNames(prefix);
  const stream = await ensureStream(jsm, {
    name: activityStreamName(prefix),
    subjects: [names.subject('activity', '>')],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    // NATS_STREAM_REPLICAS like every Steward stream: at 1 on a cluster, the node holding it down stops the reads' activity
    num_replicas: options.replicas ?? 1,
    duplicate_window: nanos(3_600_000),
    description: 'Gateway reads for the activity log (not domain events)',
  });
  if (options.maxAgeMs !== undefined && stream.config.max_age !== nanos(options.maxAgeMs)) {
    return jsm.streams.update(stream.config.name, { max_age: nanos(options.maxAgeMs) });
  }
  return stream;
}

/** Validates a read entry (throws the zod error naming the field). */
export function resourceRead(input: ResourceReadInput): ResourceRead {
  return ResourceReadSchema.parse({
    ...input,
    type: RESOURCE_READ,
    id: input.id ?? randomUUID(),
    occurredAt: input.occurredAt ?? new Date().toISOString(),
  });
}

/**
 * For the gateway: publishes one read to `<p>activity.reads` with JetStream
 * de-duplication on the entry id. Returns the entry as published.
 */
export async function publishActivityRead(
  js: JetStreamClient,
  prefix: string,
  input: ResourceReadInput,
): Promise<{ entry: ResourceRead; ack: PubAck }> {
  const entry = resourceRead(input);
  const ack = await js.publish(activityReadsSubject(prefix), JSON.stringify(entry), { msgID: entry.id });
  return { entry, ack };
}
