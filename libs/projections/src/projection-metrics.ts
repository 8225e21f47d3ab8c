import { metrics, type Meter } from '@opentelemetry/api';
import type { ProjectionStatus } from './projection.runner';

export const PROJECTION_LAG_EVENTS = 'steward.projection.lag.events';
export const PROJECTION_LAG_SECONDS = 'steward.projection.lag.seconds';
export const PROJECTION_ACTIVE = 'steward.projection.active';
/** Counter: events a projection quarantined (attributes `projection`, `event_type`). */
export const PROJECTION_QUARANTINED_EVENTS = 'steward.projection.quarantined.events';
/** Gauge: events in a projection's quarantine now (0 when healthy). */
export const PROJECTION_QUARANTINE_SIZE = 'steward.projection.quarantine.size';

/**
 * Observable gauges, read at each collection: lag in events and seconds,
 * whether this instance leads (1) or stands by (0), and the quarantine's size, per `projection`.
 * Returns a function that unregisters them.
 */
export function registerProjectionMetrics(
  statuses: () => Promise<readonly ProjectionStatus[]>,
  meter: Meter = metrics.getMeter('@steward/projections'),
): () => void {
  const lagEvents = meter.createObservableGauge(PROJECTION_LAG_EVENTS, {
    description: 'Events in the store after the projection checkpoint (approximate)',
    unit: '{event}',
  });
  const lagSeconds = meter.createObservableGauge(PROJECTION_LAG_SECONDS, {
    description: 'Age of the oldest event the projection has not applied yet',
    unit: 's',
  });
  const active = meter.createObservableGauge(PROJECTION_ACTIVE, {
    description: '1 when this instance is the active runner of the projection',
  });
  const quarantined = meter.createObservableGauge(PROJECTION_QUARANTINE_SIZE, {
    description: 'Events in the projection quarantine: skipped because they could not be applied, waiting for a replay',
    unit: '{event}',
  });
  const callback = async (result: import('@opentelemetry/api').BatchObservableResult): Promise<void> => {
    for (const status of await statuses()) {
      const attributes = { projection: status.name };
      result.observe(lagEvents, status.lagEvents, attributes);
      result.observe(lagSeconds, status.lagSeconds, attributes);
      result.observe(active, status.active ? 1 : 0, attributes);
      result.observe(quarantined, status.quarantined, attributes);
    }
  };
  const observables = [lagEvents, lagSeconds, active, quarantined];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
