import { sql, type Kysely } from 'kysely';
import { UsageStreams, type ModelPricingSetData } from '@steward/contracts';
import { EventStoreError, type EventStore, type NewEvent, type RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema, type ProjectionDefinition } from '@steward/projections';
import { UsageDecimal, decimalText } from '@steward/usage-metering';
import { usageEventRegistry } from './model-settings.events';
import { modelSettingsDecider, type ModelSettingsEvent, type ModelSettingsState } from './model-settings.decider';
import { planDayCorrections, rerateCorrectionIdFor, rerateDays, type DayStreamEvent, type RerateRequest } from './model-rerate.planner';

export const MODEL_RERATE_REACTOR = 'usage-rerate';
export const MODEL_RERATE_SCHEMA = projectionSchema(MODEL_RERATE_REACTOR);

/** One re-rate as done: `rm_usage_rerate.rerates`. */
export interface ReratesTable {
  pricing_event_id: string;
  workspace_id: string;
  provider: string;
  model: string;
  effective_from: Date;
  set_at: Date;
  /** Calls this re-rate corrected (over every run of it). */
  calls_corrected: number;
  /** Σ delta of its corrections, USD, exact. */
  delta_total: string;
  completed_at: Date;
}

export interface RerateDB {
  rerates: ReratesTable;
}

export interface RerateSummary {
  readonly callsCorrected: number;
  readonly deltaTotal: string;
}

/** Most corrections one append carries. */
const CHUNK = 500;
/** Attempts per day stream when metering keeps appending to it meanwhile. */
const MAX_DAY_ATTEMPTS = 25;

/**
 * Re-rates the calls a ModelPricingSet with `rerate: true` covers: reads the
 * workspace's day streams from effective-from to the time the price was set
 * and appends UsageCorrected events (never an update in place) with ids
 * derived from the pricing event and the usage event. Appends name the day
 * stream's exact revision: a call recorded meanwhile makes the append fail,
 * and the day is read and planned again, so a correction always chains from
 * the call's current cost.
 */
export class ModelRerater {
  constructor(private readonly store: EventStore) {}

  /** `afterDay` runs after each day stream (the reactor keeps its transaction's session active with it). */
  async rerate(pricingEvent: RecordedEvent, afterDay?: () => Promise<void>): Promise<RerateSummary> {
    const pricing = usageEventRegistry.upcast({ ...pricingEvent }).data as ModelPricingSetData;
    const request: RerateRequest = {
      pricingEventId: pricingEvent.eventId,
      pricing,
      settings: await this.settingsAsOf(pricing.workspaceId, pricingEvent.streamRevision),
    };
    let callsCorrected = 0;
    let deltaTotal = new UsageDecimal(0);
    for (const day of rerateDays(pricing)) {
      const summary = await this.rerateDay(request, UsageStreams.usage(pricing.workspaceId, day));
      callsCorrected += summary.callsCorrected;
      deltaTotal = deltaTotal.plus(summary.deltaTotal);
      await afterDay?.();
    }
    return { callsCorrected, deltaTotal: decimalText(deltaTotal) };
  }

  private async rerateDay(request: RerateRequest, streamId: string): Promise<RerateSummary> {
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      if (recorded.length === 0) return { callsCorrected: 0, deltaTotal: '0' };
      const events = recorded.map(toDayEvent);
      const planned = planDayCorrections(request, events);
      let revision = recorded[recorded.length - 1]!.streamRevision;
      try {
        for (let start = 0; start < planned.length; start += CHUNK) {
          const chunk: NewEvent[] = planned.slice(start, start + CHUNK).map((correction) => ({
            eventId: correction.eventId,
            type: 'UsageCorrected',
            version: usageEventRegistry.latestVersion('UsageCorrected'),
            data: usageEventRegistry.validate('UsageCorrected', usageEventRegistry.latestVersion('UsageCorrected'), correction.data),
            metadata: {
              correlationId: request.pricingEventId,
              causationId: request.pricingEventId,
              actor: { type: 'service', id: 'usage-metering' },
              organizationId: correction.data.organizationId,
              workspaceId: correction.data.workspaceId,
              occurredAt: request.pricing.setAt,
            },
          }));
          revision = (await this.store.append(streamId, chunk, { expectedRevision: revision })).nextExpectedRevision;
        }
      } catch (error) {
        if (EventStoreError.isConflict(error) && attempt < MAX_DAY_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * attempt)));
          continue;
        }
        throw error;
      }
      // What this re-rate did to the day, over all of its runs: its earlier corrections plus the ones just appended.
      let callsCorrected = planned.length;
      let deltaTotal = planned.reduce((sum, correction) => sum.plus(correction.data.delta), new UsageDecimal(0));
      for (const event of events) {
        if (event.type === 'UsageCorrected' && event.eventId === rerateCorrectionIdFor(request.pricingEventId, event.data.usageEventId)) {
          callsCorrected++;
          deltaTotal = deltaTotal.plus(event.data.delta);
        }
      }
      return { callsCorrected, deltaTotal: decimalText(deltaTotal) };
    }
  }

  private async settingsAsOf(workspaceId: string, revision: bigint): Promise<ModelSettingsState> {
    const streamId = UsageStreams.models(workspaceId);
    const history = await this.store.readStream(streamId, { maxCount: Number(revision) + 1 });
    let state = modelSettingsDecider.initialState;
    for (const event of history) {
      const upcasted = usageEventRegistry.upcast({ ...event, streamId });
      state = modelSettingsDecider.evolve(state, { type: upcasted.type, data: upcasted.data } as ModelSettingsEvent);
    }
    return state;
  }
}

function toDayEvent(event: RecordedEvent): DayStreamEvent {
  if (event.type !== 'UsageRecorded' && event.type !== 'UsageCorrected') return { eventId: event.eventId, type: 'other' };
  const upcasted = usageEventRegistry.upcast({ ...event });
  return { eventId: event.eventId, type: event.type, data: upcasted.data } as DayStreamEvent;
}

/**
 * The re-rating reactor, run by a ProjectionHost inside the usage-metering
 * process (not the projections service: it appends to the event store). It
 * follows ModelPricingSet events from its checkpoint; for each with `rerate`
 * it re-rates, then records the re-rate in `rm_usage_rerate.rerates` and
 * advances its checkpoint in one transaction. Killed mid-way, it starts the
 * same pricing event again and finds the corrections already appended by
 * their ids: nothing is lost, nothing corrected twice.
 */
export function modelRerateReactor(store: EventStore): ProjectionDefinition<RerateDB> {
  const rerater = new ModelRerater(store);
  return defineProjection<RerateDB>({
    name: MODEL_RERATE_REACTOR,
    version: 1,
    eventTypes: ['ModelPricingSet'],
    streamPrefixes: ['usage-models-'],
    // a re-rate runs after the price is set, by design: setting a price never waits for it
    awaitedByWrites: false,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async migrate(db: Kysely<any>) {
      await db.schema
        .createTable('rerates')
        .addColumn('pricing_event_id', 'text', (column) => column.primaryKey())
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('effective_from', 'timestamptz', (column) => column.notNull())
        .addColumn('set_at', 'timestamptz', (column) => column.notNull())
        .addColumn('calls_corrected', 'integer', (column) => column.notNull())
        .addColumn('delta_total', 'numeric', (column) => column.notNull())
        .addColumn('completed_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('rerates_workspace_idx').on('rerates').columns(['workspace_id', 'provider', 'model']).execute();
    },
    handlers: {
      async ModelPricingSet(trx, event) {
        const data = event.data as ModelPricingSetData;
        if (!data.rerate) return;
        // The batch's transaction stays open meanwhile: a statement per day keeps its session from counting as
        // idle in transaction (deployments end those after a minute).
        const summary = await rerater.rerate(event, async () => {
          await sql`SELECT 1`.execute(trx);
        });
        const row = {
          pricing_event_id: event.eventId,
          workspace_id: data.workspaceId,
          provider: data.provider,
          model: data.model,
          effective_from: new Date(data.effectiveFrom),
          set_at: new Date(data.setAt),
          calls_corrected: summary.callsCorrected,
          delta_total: summary.deltaTotal,
          completed_at: new Date(),
        };
        await trx
          .insertInto('rerates')
          .values(row)
          .onConflict((conflict) => conflict.column('pricing_event_id').doUpdateSet({ calls_corrected: row.calls_corrected, delta_total: row.delta_total, completed_at: row.completed_at }))
          .execute();
      },
    },
  });
}
