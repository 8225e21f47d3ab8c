import { sql } from 'kysely';
import { USAGE_STREAM_PREFIX, type UsageCorrectedData, type UsageRecordedData } from '@steward/contracts';
import { defineProjection, projectionSchema } from '@steward/projections';
import { batchSums } from './chargeback-batch';
import type { ChargebackDB } from './chargeback-db';
import { createChargebackTables } from './chargeback.schema';
import { applyCorrections, insertCalls, writeSums, type Recorded } from './chargeback.writer';
import { linePrices } from './line-prices';

export const CHARGEBACK_PROJECTION = 'chargeback';
/** `rm_chargeback`: ChargebackRepository reads it. */
export const CHARGEBACK_SCHEMA = projectionSchema(CHARGEBACK_PROJECTION);

/**
 * The chargeback read model: rollups, recent calls and statement lines from
 * UsageRecorded and UsageCorrected. A batch is applied with two statements
 * whatever its size (three with corrections): the calls are inserted first
 * (only the calls that were new are counted, so even a redelivered event
 * cannot count twice), then the batch's sums, added up in memory, in one
 * statement over every rollup table and the statement lines.
 */
export const chargebackProjection = defineProjection<ChargebackDB>({
  name: CHARGEBACK_PROJECTION,
  // raised whenever the tables or what a batch writes change: the read model is then rebuilt from the events
  version: 3,
  streamPrefixes: [USAGE_STREAM_PREFIX],
  eventTypes: ['UsageRecorded', 'UsageCorrected'],
  async migrate(db) {
    await createChargebackTables(db);
  },
  async handle(trx, events) {
    const recorded: Recorded[] = [];
    const corrections: UsageCorrectedData[] = [];
    const seen = new Set<string>();
    for (const event of events) {
      if (event.type === 'UsageRecorded') {
        // a store holds an event once; a batch that held it twice would still count it once
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        const data = event.data as UsageRecordedData;
        recorded.push({ event, data, prices: linePrices(data.pricing) });
      } else if (event.type === 'UsageCorrected') corrections.push(event.data as UsageCorrectedData);
    }
    // the batch and its checkpoint commit together: a server crash can only lose both, and they are replayed
    // from the store; so the commit need not wait for its WAL flush
    await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    const fresh = await insertCalls(trx, recorded);
    const changes = await applyCorrections(trx, corrections);
    for (const sums of batchSums(
      changes,
      recorded.filter((call) => fresh.has(call.event.eventId)),
    )) {
      await writeSums(trx, sums);
    }
  },
});
