import type { JetStreamManager } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { EventStore } from '@steward/event-store';
import { listDeadLetters, natsNames } from '@steward/messaging';
import { PROJECTIONS_SCHEMA, QuarantineRepository, isLockHeld, measureLag, projectionLockKey, type ProjectionsDB } from '@steward/projections';

export interface ConsumerStatus {
  readonly stream: string;
  readonly name: string;
  readonly pending: number;
  readonly ackPending: number;
  readonly redelivered: number;
  readonly deadLetters: number;
}

export interface DeadLetterView {
  readonly seq: number;
  readonly consumer: string;
  readonly reason: string;
  readonly deadLetteredAt: string;
  readonly originalSubject: string | null;
  readonly deliveryCount: number | null;
}

export interface ProjectionStatusView {
  readonly name: string;
  readonly state: 'running' | 'no runner';
  readonly health: 'ok' | 'degraded';
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly eventsApplied: string;
  readonly quarantined: number;
  /** Platform administrators only: what was quarantined (ids and errors, never event data). */
  readonly quarantine?: ReadonlyArray<{ readonly eventId: string; readonly eventType: string; readonly streamId: string; readonly error: string; readonly quarantinedAt: string }>;
}

/**
 * The platform's figures for the operators' view: JetStream consumers of the events and ingest streams with
 * their backlog and dead letters, and every projection's lag and quarantine (the read side of
 * `npm run steward -- projections status`). Details that may belong to another tenant (dead letters' subjects,
 * quarantined events) only with `details`.
 */
export class InfrastructureStatus {
  constructor(
    private readonly deps: {
      readonly jsm: JetStreamManager;
      readonly natsPrefix: string;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      readonly db: Kysely<any>;
      readonly store: EventStore;
    },
  ) {}

  async readConsumers(details: boolean): Promise<{ consumers: ConsumerStatus[]; deadLetters: { total: number; items?: DeadLetterView[] } }> {
    const names = natsNames(this.deps.natsPrefix);
    const letters = await listDeadLetters(this.deps.jsm, this.deps.natsPrefix, { limit: details ? 50 : 0 });
    const consumers: ConsumerStatus[] = [];
    for await (const stream of this.deps.jsm.streams.list()) {
      const name = stream.config.name;
      if (!name.startsWith(names.streamPrefix) || name === names.deadLetterStream) continue;
      for await (const consumer of this.deps.jsm.consumers.list(name)) {
        consumers.push({
          stream: name,
          name: consumer.name,
          pending: consumer.num_pending,
          ackPending: consumer.num_ack_pending,
          redelivered: consumer.num_redelivered,
          deadLetters: letters.counts[consumer.name] ?? 0,
        });
      }
    }
    consumers.sort((a, b) => a.stream.localeCompare(b.stream) || a.name.localeCompare(b.name));
    return {
      consumers,
      deadLetters: {
        total: letters.total,
        ...(details
          ? {
              items: letters.items.map((letter) => ({
                seq: letter.seq,
                consumer: letter.consumer,
                reason: letter.reason,
                deadLetteredAt: letter.deadLetteredAt.toISOString(),
                originalSubject: letter.originalSubject ?? null,
                deliveryCount: letter.deliveryCount ?? null,
              })),
            }
          : {}),
      },
    };
  }

  async projections(details: boolean): Promise<ProjectionStatusView[]> {
    const db = (this.deps.db as Kysely<ProjectionsDB>).withSchema(PROJECTIONS_SCHEMA);
    const rows = await db
      .selectFrom('checkpoints')
      .selectAll()
      .orderBy('name')
      .execute()
      .catch((error: unknown) => {
        const code = (error as { code?: string }).code;
        if (code === '42P01' || code === '3F000') return [];
        throw error;
      });
    const quarantine = new QuarantineRepository(this.deps.db);
    return Promise.all(
      rows.map(async (row) => {
        const filter = {
          ...(row.event_types?.length ? { eventTypes: row.event_types } : {}),
          ...(row.stream_prefixes?.length ? { streamPrefixes: row.stream_prefixes } : {}),
        };
        const checkpoint = { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
        const [lag, leader, quarantined] = await Promise.all([
          measureLag(this.deps.store, checkpoint, Object.keys(filter).length > 0 ? filter : undefined),
          isLockHeld(this.deps.db, projectionLockKey(row.name)),
          details ? quarantine.list(row.name) : quarantine.count(row.name),
        ]);
        const count = typeof quarantined === 'number' ? quarantined : quarantined.length;
        return {
          name: row.name,
          state: leader ? ('running' as const) : ('no runner' as const),
          health: count > 0 ? ('degraded' as const) : ('ok' as const),
          lagEvents: lag.lagEvents,
          lagSeconds: Math.round(lag.lagSeconds * 10) / 10,
          eventsApplied: String(row.events_applied),
          quarantined: count,
          ...(typeof quarantined !== 'number'
            ? {
                quarantine: quarantined.slice(0, 50).map((event) => ({
                  eventId: event.eventId,
                  eventType: event.eventType,
                  streamId: event.streamId,
                  error: `${event.errorCode ?? ''} ${event.errorMessage}`.trim(),
                  quarantinedAt: event.quarantinedAt.toISOString(),
                })),
              }
            : {}),
        };
      }),
    );
  }
}
