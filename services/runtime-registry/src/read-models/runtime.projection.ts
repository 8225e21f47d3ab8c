import { sql } from 'kysely';
import type { RuntimeEventOf, RuntimeEventType } from '@steward/contracts';
import { RUNTIME_STREAM_PREFIX } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema, type ProjectionEventHandler } from '@steward/projections';
import type { RuntimeDB } from './runtime-db';

export const RUNTIMES_PROJECTION = 'runtimes';
/** `rm_runtimes`: the Runtime Environments page (RuntimeReadRepository queries it). */
export const RUNTIMES_SCHEMA = projectionSchema(RUNTIMES_PROJECTION);

function dataOf<T extends RuntimeEventType>(event: RecordedEvent): RuntimeEventOf<T>['data'] {
  return event.data as RuntimeEventOf<T>['data'];
}

const handlers: Record<RuntimeEventType, ProjectionEventHandler<RuntimeDB>> = {
  async RuntimeRegistered(trx, event) {
    const data = dataOf<'RuntimeRegistered'>(event);
    await trx
      .insertInto('runtimes')
      .values({
        workspace_id: data.workspaceId,
        runtime_id: data.runtimeId,
        organization_id: data.organizationId,
        name: data.name,
        category: data.category,
        provider: data.provider,
        config: JSON.stringify(data.config),
        secrets: JSON.stringify(data.secrets),
        is_default: false,
        created_by: data.registeredBy,
        created_at: data.registeredAt,
        updated_at: data.registeredAt,
      })
      .onConflict((conflict) => conflict.columns(['workspace_id', 'runtime_id']).doNothing())
      .execute();
  },
  async RuntimeReconfigured(trx, event) {
    const data = dataOf<'RuntimeReconfigured'>(event);
    await trx
      .updateTable('runtimes')
      .set({ name: data.name, config: JSON.stringify(data.config), secrets: JSON.stringify(data.secrets), updated_at: data.reconfiguredAt })
      .where('workspace_id', '=', data.workspaceId)
      .where('runtime_id', '=', data.runtimeId)
      .execute();
  },
  async RuntimeDefaultSet(trx, event) {
    const data = dataOf<'RuntimeDefaultSet'>(event);
    // one default per category: the previous one is cleared by the same event, in the same transaction
    // (two statements: the partial unique index would see two defaults midway through one)
    await trx
      .updateTable('runtimes')
      .set({ is_default: false })
      .where('workspace_id', '=', data.workspaceId)
      .where('category', '=', data.category)
      .where('is_default', '=', true)
      .execute();
    await trx.updateTable('runtimes').set({ is_default: true }).where('workspace_id', '=', data.workspaceId).where('runtime_id', '=', data.runtimeId).execute();
  },
  async RuntimeTestRequested(trx, event) {
    const data = dataOf<'RuntimeTestRequested'>(event);
    await trx
      .updateTable('runtimes')
      .set({
        last_test_id: data.testId,
        last_test_status: 'pending',
        last_test_requested_at: data.requestedAt,
        last_tested_at: null,
        last_test_status_code: null,
        last_test_latency_ms: null,
        last_test_failure: null,
        last_test_message: null,
      })
      .where('workspace_id', '=', data.workspaceId)
      .where('runtime_id', '=', data.runtimeId)
      .execute();
  },
  async RuntimeTestSucceeded(trx, event) {
    const data = dataOf<'RuntimeTestSucceeded'>(event);
    await recordOutcome(trx, data, 'succeeded', null);
  },
  async RuntimeTestFailed(trx, event) {
    const data = dataOf<'RuntimeTestFailed'>(event);
    await recordOutcome(trx, data, 'failed', data.failure);
  },
  async RuntimeDeleted(trx, event) {
    const data = dataOf<'RuntimeDeleted'>(event);
    await trx.deleteFrom('runtimes').where('workspace_id', '=', data.workspaceId).where('runtime_id', '=', data.runtimeId).execute();
  },
};

/** An outcome shows only while it is the runtime's latest test (an older test finishing late does not overwrite a newer one). */
async function recordOutcome(
  trx: Parameters<ProjectionEventHandler<RuntimeDB>>[0],
  data: RuntimeEventOf<'RuntimeTestSucceeded'>['data'],
  status: 'succeeded' | 'failed',
  failure: string | null,
): Promise<void> {
  await trx
    .updateTable('runtimes')
    .set({
      last_test_status: status,
      last_tested_at: data.testedAt,
      last_test_status_code: data.statusCode,
      last_test_latency_ms: data.latencyMs,
      last_test_failure: failure,
      last_test_message: data.message,
    })
    .where('workspace_id', '=', data.workspaceId)
    .where('runtime_id', '=', data.runtimeId)
    .where('last_test_id', '=', data.testId)
    .execute();
}

export const runtimeProjection = defineProjection<RuntimeDB>({
  name: RUNTIMES_PROJECTION,
  version: 1,
  streamPrefixes: [RUNTIME_STREAM_PREFIX],
  async migrate(db) {
    await db.schema
      .createTable('runtimes')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('runtime_id', 'text', (c) => c.notNull())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('config', 'jsonb', (c) => c.notNull())
      .addColumn('secrets', 'jsonb', (c) => c.notNull())
      .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_test_id', 'text')
      .addColumn('last_test_status', 'text')
      .addColumn('last_test_requested_at', 'timestamptz')
      .addColumn('last_tested_at', 'timestamptz')
      .addColumn('last_test_status_code', 'integer')
      .addColumn('last_test_latency_ms', 'integer')
      .addColumn('last_test_failure', 'text')
      .addColumn('last_test_message', 'text')
      .addPrimaryKeyConstraint('runtimes_pk', ['workspace_id', 'runtime_id'])
      .execute();
    await db.schema.createIndex('runtimes_category').on('runtimes').columns(['workspace_id', 'category', 'name']).execute();
    // the read model holds the decider's invariant too: at most one default per workspace and category
    await db.schema.createIndex('runtimes_one_default').on('runtimes').columns(['workspace_id', 'category']).unique().where(sql.ref('is_default'), '=', true).execute();
  },
  handlers,
});
