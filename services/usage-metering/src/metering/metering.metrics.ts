import { metrics, type Counter, type Meter } from '@opentelemetry/api';

/** OpenTelemetry counters of usage metering. */
export class MeteringMetrics {
  readonly recorded: Counter;
  readonly duplicates: Counter;
  readonly unpriced: Counter;
  readonly deadLettered: Counter;
  readonly deadLetteredEvents: Counter;

  constructor(meter: Meter = metrics.getMeter('steward-usage-metering')) {
    this.recorded = meter.createCounter('steward.usage.events_recorded', {
      description: 'Usage events recorded (UsageRecorded appended), each distinct call once',
    });
    this.duplicates = meter.createCounter('steward.usage.events_duplicate', {
      description: 'Usage events skipped because the same (workspace, source, id) was already recorded',
    });
    this.unpriced = meter.createCounter('steward.usage.events_unpriced', {
      description: 'Usage events recorded without a price (cost 0, pricing not configured)',
    });
    this.deadLettered = meter.createCounter('steward.usage.batches_dead_lettered', {
      description: 'Ingest batches dead-lettered whole (invalid, their workspace stayed unknown, or every event refused by the store)',
    });
    this.deadLetteredEvents = meter.createCounter('steward.usage.events_dead_lettered', {
      description: 'Usage events dead-lettered: those of whole batches, and single events the store refused while the rest of their batch was recorded',
    });
  }
}
