import type { JetStreamClient } from '@nats-io/jetstream';
import { metrics, type Counter, type Meter, type ObservableGauge, type ObservableResult } from '@opentelemetry/api';
import type { EventRegistry } from '@steward/contracts';
import {
  START,
  comparePositions,
  formatPosition,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type Subscription,
} from '@steward/event-store';
import type pg from 'pg';
import { stderrLogger, type MessagingLogger } from '../durable-consumer';
import { publishEvent } from '../event-publisher';
import { natsNames, toSubjectToken, type NatsNames } from '../nats-names';
import { RelayCheckpointRepository } from './relay-checkpoint.repository';

export interface EventRelayOptions {
  readonly store: EventStore;
  readonly js: JetStreamClient;
  /** The pool that holds the relay's checkpoint (the store's database). */
  readonly pool: pg.Pool;
  /** Default 'steward_relay'. */
  readonly checkpointSchema?: string;
  /** Several relays can tail one store, each with its own checkpoint. Default 'default'. */
  readonly name?: string;
  /** The NATS prefix: '' in production, the test env's `natsPrefix` in tests (see `natsNames`). */
  readonly subjectPrefix?: string;
  /** The `<context>` of `events.<context>.<EventType>`; default (or when it answers undefined): the stream's category. */
  readonly contextOf?: (event: RecordedEvent) => string | undefined;
  /**
   * Event types kept off the bus: the store leaves their rows unread (the checkpoint moves past them), never published.
   * For high-volume events that no NATS consumer needs because their readers tail the store (projections,
   * reactors): UsageRecorded, at tens of thousands a second, costs more to relay than to meter. Default none.
   */
  readonly skipEventTypes?: readonly string[];
  /** Publishes awaited together. Default 256. */
  readonly maxInFlight?: number;
  /** JetStream acknowledgement timeout per publish. Default 5 s. */
  readonly publishTimeoutMs?: number;
  /** Wait before resuming after a failure (NATS or PostgreSQL down). Default 1 s. */
  readonly retryDelayMs?: number;
  /** Passed to the store's subscription. */
  readonly pollIntervalMs?: number;
  readonly logger?: MessagingLogger;
  /** Where the relay's metrics go. Default: the global meter provider's `@steward/messaging` meter. */
  readonly meter?: Meter;
}

/** The category of a stream: its id before the first '-' (`job-42` → `job`). */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

/** A `contextOf` answering from the registry's bounded contexts (unregistered types fall back to the category). */
export function contextFromRegistry(registry: EventRegistry): (event: RecordedEvent) => string | undefined {
  return (event) => registry.contextOf(event.type);
}

/**
 * Tails the event store from its stored checkpoint and publishes every event
 * (but those of `skipEventTypes`) to `<p>events.<context>.<EventType>` with
 * `Nats-Msg-Id = eventId`. The
 * publishes of a batch are sent together, all acknowledgements awaited, then
 * the batch's checkpoint stored: killed at any point, a restart re-publishes
 * at most the unfinished batch, which JetStream drops as duplicates (and a
 * consumer's inbox absorbs past the duplicate window). At least once to NATS,
 * once in effect.
 */
export class EventRelay {
  readonly name: string;
  readonly checkpoints: RelayCheckpointRepository;
  private readonly names: NatsNames;
  private readonly logger: MessagingLogger;
  private readonly maxInFlight: number;
  private readonly skipEventTypes: readonly string[];
  private stopping = false;
  private loop: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private wakeUp: (() => void) | undefined;
  private position: GlobalPosition = START;
  private lagMs = 0;
  private relayed = 0;
  // Created per relay, not at module load: the metrics API has no proxy, so
  // instruments made before the meter provider is registered would stay no-ops.
  private readonly relayedCounter: Counter;
  private readonly lagGauge: ObservableGauge;
  private readonly observeLag = (result: ObservableResult): void => {
    result.observe(this.lagMs, { relay: this.name });
  };

  constructor(private readonly options: EventRelayOptions) {
    this.name = options.name ?? 'default';
    this.names = natsNames(options.subjectPrefix ?? '');
    this.logger = options.logger ?? stderrLogger;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 256);
    this.skipEventTypes = options.skipEventTypes ?? [];
    this.checkpoints = new RelayCheckpointRepository({ pool: options.pool, schema: options.checkpointSchema });
    const meter = options.meter ?? metrics.getMeter('@steward/messaging');
    this.relayedCounter = meter.createCounter('steward.relay.events_relayed', {
      description: 'Events the relay published to NATS and got acknowledged (duplicates included)',
    });
    this.lagGauge = meter.createObservableGauge('steward.relay.lag', {
      description: 'Age of the newest relayed event while catching up; 0 once caught up',
      unit: 'ms',
    });
  }

  /** Creates the checkpoint table if missing. */
  async migrate(): Promise<void> {
    await this.checkpoints.migrate();
  }

  /** The subject an event is published to. */
  subjectOf(event: RecordedEvent): string {
    const context = this.options.contextOf?.(event) ?? streamCategory(event.streamId);
    return this.names.eventSubject(toSubjectToken(context), toSubjectToken(event.type));
  }

  /** Where the relay has published up to (as stored). */
  get checkpoint(): GlobalPosition {
    return this.position;
  }

  /** Events published by this instance since it started (re-publishes after a restart included). */
  get relayedCount(): number {
    return this.relayed;
  }

  /** Loads the checkpoint and starts relaying in the background. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    this.position = await this.checkpoints.load(this.name);
    this.lagGauge.addCallback(this.observeLag);
    this.loop = this.run();
  }

  /** Finishes the batch in hand (publishes and checkpoint), then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.subscription?.close();
    await this.loop;
    this.loop = undefined;
    this.lagGauge.removeCallback(this.observeLag);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        this.position = await this.checkpoints.load(this.name);
        const subscription = this.options.store.subscribeToAll({
          from: this.position,
          // The store leaves the skipped types' rows unread (the relay would only drop them).
          ...(this.skipEventTypes.length > 0 ? { filter: { excludeEventTypes: this.skipEventTypes } } : {}),
          ...(this.options.pollIntervalMs !== undefined ? { pollIntervalMs: this.options.pollIntervalMs } : {}),
        });
        this.subscription = subscription;
        if (this.stopping) await subscription.close();
        try {
          for await (const batch of subscription) {
            await this.publishAll(batch.events);
            if (comparePositions(batch.checkpoint, this.position) > 0) {
              await this.checkpoints.save(this.name, batch.checkpoint);
              this.position = batch.checkpoint;
            }
            const last = batch.events[batch.events.length - 1];
            this.lagMs = batch.caughtUp || !last ? 0 : Math.max(0, Date.now() - last.recordedAt.getTime());
            if (this.stopping) break;
          }
        } finally {
          this.subscription = undefined;
          await subscription.close();
        }
      } catch (error) {
        if (this.stopping) break;
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error), relay: this.name, checkpoint: formatPosition(this.position) },
          'relay failed; resuming from its checkpoint',
        );
        await this.pause(this.options.retryDelayMs ?? 1000);
      }
    }
  }

  /** Sends a window of publishes, then awaits all their acks; in order, window after window. */
  private async publishAll(events: readonly RecordedEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += this.maxInFlight) {
      const window = events.slice(start, start + this.maxInFlight);
      const acks = window.map((event) =>
        publishEvent(this.options.js, event, this.subjectOf(event), { timeoutMs: this.options.publishTimeoutMs ?? 5_000 }),
      );
      const settled = await Promise.allSettled(acks);
      const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      this.relayed += window.length;
      this.relayedCounter.add(window.length, { relay: this.name });
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
