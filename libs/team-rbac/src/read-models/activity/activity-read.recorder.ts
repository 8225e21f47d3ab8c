import type { JsMsg, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { sql, type Kysely } from 'kysely';
import { MessagingError, MessagingErrorCode, runConsumer, type DurableConsumer, type MessagingLogger } from '@steward/messaging';
import { ReadModelError, ReadModelErrorCode } from '../read-model.error';
import type { ActivityDB } from './activity-entries.table';
import { ACTIVITY_READS_SCHEMA, migrateActivityReads } from './activity.projection';
import { MAX_READS_PER_MESSAGE, ResourceReadSchema, activityReadsSubject, activityStreamName, decodeResourceReads, ensureActivityStream, type ResourceRead } from './activity.contract';

function defaultSummary(entry: ResourceRead): string {
  const target = entry.resourceId ? ` ${entry.resourceId}` : '';
  const verb = entry.action === 'fetch_all' ? `Listed ${entry.resourceType}` : `Fetched ${entry.resourceType}${target}`;
  return entry.outcome === 'failure' ? `${verb} (failed)` : verb;
}

/**
 * Writes gateway reads into `activity_reads.activity_entries`, once per entry
 * id (`ON CONFLICT (id) DO NOTHING`): a redelivered or re-published read
 * records nothing new.
 */
export class ActivityReadRecorder {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<ActivityDB> {
    return (this.deps.db as Kysely<ActivityDB>).withSchema(ACTIVITY_READS_SCHEMA);
  }

  /** Creates the reads table if missing (the activity projection's migrate does too). */
  async migrate(): Promise<void> {
    await migrateActivityReads(this.deps.db);
  }

  /** True when the entry was new, false when it was already recorded. */
  async record(input: unknown): Promise<boolean> {
    const parsed = ResourceReadSchema.safeParse(input);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(entry)').join(', ');
      throw new ReadModelError(ReadModelErrorCode.InvalidEntry, `not a ResourceRead entry: ${fields}`);
    }
    const entry = parsed.data;
    const result = await this.db
      .insertInto('activity_entries')
      .values({
        id: entry.id,
        organization_id: entry.organizationId,
        workspace_id: entry.workspaceId ?? null,
        resource_type: entry.resourceType,
        action: entry.action,
        resource_id: entry.resourceId ?? null,
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        occurred_at: entry.occurredAt,
        outcome: entry.outcome,
        summary: entry.summary ?? defaultSummary(entry),
        source: 'read',
        event_type: null,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /**
   * Records already validated entries with ONE statement (13 array parameters,
   * whatever the count), each once per id; returns how many were new. Entries
   * repeated in the call or recorded before insert nothing.
   */
  async recordMany(entries: readonly ResourceRead[]): Promise<number> {
    const seen = new Set<string>();
    const columns = {
      id: [] as string[],
      organizationId: [] as string[],
      workspaceId: [] as (string | null)[],
      resourceType: [] as string[],
      action: [] as string[],
      resourceId: [] as (string | null)[],
      actorType: [] as string[],
      actorId: [] as string[],
      occurredAt: [] as string[],
      outcome: [] as string[],
      summary: [] as string[],
    };
    for (const entry of entries) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      columns.id.push(entry.id);
      columns.organizationId.push(entry.organizationId);
      columns.workspaceId.push(entry.workspaceId ?? null);
      columns.resourceType.push(entry.resourceType);
      columns.action.push(entry.action);
      columns.resourceId.push(entry.resourceId ?? null);
      columns.actorType.push(entry.actor.type);
      columns.actorId.push(entry.actor.id);
      columns.occurredAt.push(entry.occurredAt);
      columns.outcome.push(entry.outcome);
      columns.summary.push(entry.summary ?? defaultSummary(entry));
    }
    if (columns.id.length === 0) return 0;
    const c = columns;
    const result = await sql`
      INSERT INTO ${sql.id(ACTIVITY_READS_SCHEMA, 'activity_entries')}
        (id, organization_id, workspace_id, resource_type, action, resource_id, actor_type, actor_id,
         occurred_at, outcome, summary, source, event_type)
      SELECT id, organization_id, workspace_id, resource_type, action, resource_id, actor_type, actor_id,
             occurred_at, outcome, summary, 'read', NULL
      FROM unnest(${c.id}::uuid[], ${c.organizationId}::text[], ${c.workspaceId}::text[], ${c.resourceType}::text[],
                  ${c.action}::text[], ${c.resourceId}::text[], ${c.actorType}::text[], ${c.actorId}::text[],
                  ${c.occurredAt}::timestamptz[], ${c.outcome}::text[], ${c.summary}::text[])
        AS r(id, organization_id, workspace_id, resource_type, action, resource_id, actor_type, actor_id,
             occurred_at, outcome, summary)
      ON CONFLICT (id) DO NOTHING`.execute(this.deps.db);
    return Number(result.numAffectedRows ?? 0n);
  }
}

export interface ActivityReadConsumerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** '' in production, the test env's `natsPrefix` in tests. */
  readonly prefix: string;
  readonly recorder: ActivityReadRecorder;
  /** Default `activity-reads`. */
  readonly durable?: string;
  /** The activity stream's replicas (NATS_STREAM_REPLICAS), as the gateway ensures it: neither sets back the other's. Default 1. */
  readonly replicas?: number;
  readonly maxDeliver?: number;
  readonly backoffMs?: readonly number[];
  /** Reads written per INSERT. Default 500. */
  readonly maxBatch?: number;
  /** How long a batch waits for more reads after its first. Default 20 ms. */
  readonly maxWaitMs?: number;
  readonly logger?: MessagingLogger;
}

/**
 * Ensures the activity stream and the reads table, then consumes
 * `<p>activity.reads` with a durable consumer into the recorder, in batches:
 * up to `maxBatch` reads per INSERT, acked together, all redelivered when it
 * fails (harmless: once per id). An entry that does not match `ResourceRead` is
 * dead-lettered at once on its own; the rest of its batch is recorded.
 */
export async function runActivityReadConsumer(options: ActivityReadConsumerOptions): Promise<DurableConsumer<ResourceRead[]>> {
  await ensureActivityStream(options.jsm, options.prefix, { replicas: options.replicas ?? 1 });
  await options.recorder.migrate();
  return runConsumer<ResourceRead[]>({
    js: options.js,
    jsm: options.jsm,
    stream: activityStreamName(options.prefix),
    durable: options.durable ?? 'activity-reads',
    filterSubject: activityReadsSubject(options.prefix),
    prefix: options.prefix,
    ...(options.maxDeliver !== undefined ? { maxDeliver: options.maxDeliver } : {}),
    ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    // A message holds one read or a batch of them (decodeResourceReads); a malformed one is dead-lettered whole.
    decode: (msg: JsMsg) => {
      const decoded = decodeResourceReads(safeJson(msg));
      if (!decoded.ok) throw new MessagingError(MessagingErrorCode.InvalidMessage, `not a ResourceRead entry: ${decoded.field}`);
      return decoded.reads;
    },
    batchHandler: async (_msgs, batches) => {
      const entries = batches.flat();
      // one INSERT per MAX_READS_PER_MESSAGE entries, however many batch messages came together
      for (let start = 0; start < entries.length; start += MAX_READS_PER_MESSAGE) {
        await options.recorder.recordMany(entries.slice(start, start + MAX_READS_PER_MESSAGE));
      }
    },
  });
}

function safeJson(msg: JsMsg): unknown {
  try {
    return msg.json<unknown>();
  } catch {
    return undefined;
  }
}
