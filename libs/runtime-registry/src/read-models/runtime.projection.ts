import { sql, type Transaction } from 'kysely';
import type { RuntimeEvent, RuntimeEventOf } from '@steward/contracts';
import { RUNTIME_STREAM_PREFIX } from '@steward/contracts';
import { defineProjection, projectionSchema, withEventData } from '@steward/projections';
import type { RuntimeDB } from './runtime-db';

export const RUNTIMES_PROJECTION = 'runtimes';
/** `rm_runtimes`: the Runtime Environments page (RuntimeReadRepository queries it). */
export const RUNTIMES_SCHEMA = projectionSchema(RUNTIMES_PROJECTION);

/** An update of one runtime's row. */
function updateRuntime(trx: Transaction<RuntimeDB>, runtime: { readonly workspaceId: string; readonly runtimeId: string }) {
  return trx.updateTable('runtimes').where('workspace_id', '=', runtime.workspaceId).where('runtime_id', '=', runtime.runtimeId);
}

const handlers = withEventData<RuntimeDB, RuntimeEvent>({
  async RuntimeRegistered(trx, data) {
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
  async RuntimeReconfigured(trx, data) {
    await updateRuntime(trx, data)
      .set({ name: data.name, config: JSON.stringify(data.config), secrets: JSON.stringify(data.secrets), updated_at: data.reconfiguredAt })
      .execute();
  },
  async RuntimeDefaultSet(trx, data) {
    // one default per category: the previous one is cleared by the same event, in the same transaction
    // (two statements: the partial unique index would see two defaults midway through one)
    await trx
      .updateTable('runtimes')
      .set({ is_default: false })
      .where('workspace_id', '=', data.workspaceId)
      .where('category', '=', data.category)
      .where('is_default', '=', true)
      .execute();
    await updateRuntime(trx, data).set({ is_default: true }).execute();
  },
  async RuntimeTestRequested(trx, data) {
    await updateRuntime(trx, data)
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
      .execute();
  },
  async RuntimeTestSucceeded(trx, data) {
    await recordOutcome(trx, data, 'succeeded', null);
  },
  async RuntimeTestFailed(trx, data) {
    await recordOutcome(trx, data, 'failed', data.failure);
  },
  async RuntimeDeleted(trx, data) {
    await trx.deleteFrom('runtimes').where('workspace_id', '=', data.workspaceId).where('runtime_id', '=', data.runtimeId).execute();
  },
});

/** An outcome shows only while it is the runtime's latest test (an older test finishing late does not overwrite a newer one). */
async function recordOutcome(
  trx: Transaction<RuntimeDB>,
  data: RuntimeEventOf<'RuntimeTestSucceeded'>['data'],
  status: 'succeeded' | 'failed',
  failure: string | null,
): Promise<void> {
  await updateRuntime(trx, data)
    .set({
      last_test_status: status,
      last_tested_at: data.testedAt,
      last_test_status_code: data.statusCode,
      last_test_latency_ms: data.latencyMs,
      last_test_failure: failure,
      last_test_message: data.message,
    })
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
