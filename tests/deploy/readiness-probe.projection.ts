/**
 * Loaded by the projections process through STEWARD_PROJECTION_MODULES in
 * projections-readiness.e2e.spec.ts: a read model whose version comes from PROBE_VERSION, and whose
 * batches take PROBE_BATCH_DELAY_MS each (a rebuild long enough to watch).
 */
import { sql } from 'kysely';
import { defineProjection } from '@steward/projections';

export const PROBE_EVENT_TYPE = 'ReadinessProbed';

export const projections = [
  defineProjection({
    name: 'readiness-probe',
    version: Number(process.env.PROBE_VERSION ?? 1),
    eventTypes: [PROBE_EVENT_TYPE],
    async migrate(db) {
      await db.schema.createTable('probes').addColumn('event_id', 'text', (column) => column.primaryKey()).execute();
    },
    async handle(trx, events) {
      const delay = Number(process.env.PROBE_BATCH_DELAY_MS ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      for (const event of events) await sql`INSERT INTO probes (event_id) VALUES (${event.eventId})`.execute(trx);
    },
  }),
];
