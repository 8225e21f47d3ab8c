import type { EventStore } from '@steward/event-store';
import {
  DurableConsumer,
  ensureStreams,
  ensureUsageIngestStream,
  stderrLogger,
  usageIngestNames,
  type MessagingLogger,
  type NatsClients,
  type UsageIngestStreamOptions,
} from '@steward/messaging';
import type { WorkspaceOrganizations } from '@steward/team-rbac';
import type { Pricer } from '@steward/usage-metering';
import { MeteringMetrics } from './metering.metrics';
import { decodeUsageBatch, type DecodedUsageBatch } from './usage-batch.codec';
import { UsageMeter } from './usage-meter';

/** The durable consumer of the ingest stream: shared by every metering process (they split the backlog). */
export const USAGE_METERING_DURABLE = 'usage-metering';

export interface UsageMeteringWorkerOptions {
  readonly nats: NatsClients;
  readonly prefix: string;
  readonly replicas?: number;
  /** The ingest stream's limits (usageIngestStreamOptionsFromEnv): the same the gateway ensures, so neither sets back the other's. */
  readonly ingestStream?: Omit<UsageIngestStreamOptions, 'prefix'>;
  readonly store: Pick<EventStore, 'appendNew'>;
  readonly pricer: Pricer;
  readonly organizations: WorkspaceOrganizations;
  readonly metrics?: MeteringMetrics;
  readonly logger?: MessagingLogger;
  /** Pull loops in this process (groups metered at once). Default 2: one prices while another appends. */
  readonly concurrency?: number;
  /** Ingest messages per group (one group → one or a few transactions). Default 32. */
  readonly maxBatch?: number;
  /**
   * How long a group waits for more messages after its first. Default 5 ms: under load the messages are
   * already buffered and fill a group at once; at a steady trickle every wait is latency.
   */
  readonly maxWaitMs?: number;
  /** Events per appendNew transaction. Default 10,000. */
  readonly appendChunk?: number;
  /**
   * Attempts before a message whose metering keeps failing is dead-lettered. Default 10,000: with the
   * backoff capped at a minute, a week of store outage loses nothing to the dead-letter stream.
   */
  readonly maxDeliver?: number;
  /** Attempts before a batch of a workspace that stays unknown is dead-lettered. Default 10. */
  readonly unknownWorkspaceAttempts?: number;
  readonly backoffMs?: readonly number[];
  /** Delay before a batch of a workspace not known yet comes again. Default 2 s. */
  readonly unknownWorkspaceRetryMs?: number;
  readonly ackWaitMs?: number;
}

/**
 * usage-metering's consumer: ensures the ingest stream (and the dead-letter stream), then meters batches
 * with `concurrency` pull loops on one durable consumer. Invalid messages are dead-lettered at once with
 * the reason; everything else is acked only after its events are in the store.
 */
export class UsageMeteringWorker {
  readonly meter: UsageMeter;
  readonly metrics: MeteringMetrics;
  private readonly consumers: DurableConsumer<DecodedUsageBatch>[] = [];

  constructor(private readonly options: UsageMeteringWorkerOptions) {
    this.metrics = options.metrics ?? new MeteringMetrics();
    const logger = options.logger ?? stderrLogger;
    const maxDeliver = options.maxDeliver ?? 10_000;
    this.meter = new UsageMeter({
      store: options.store,
      pricer: options.pricer,
      organizations: options.organizations,
      metrics: this.metrics,
      js: options.nats.js,
      prefix: options.prefix,
      durable: USAGE_METERING_DURABLE,
      unknownWorkspaceAttempts: options.unknownWorkspaceAttempts ?? 10,
      unknownWorkspaceRetryMs: options.unknownWorkspaceRetryMs ?? 2_000,
      appendChunk: options.appendChunk ?? 10_000,
      logger,
    });
    const names = usageIngestNames(options.prefix);
    const maxBatch = options.maxBatch ?? 32;
    for (let i = 0; i < Math.max(1, options.concurrency ?? 2); i++) {
      this.consumers.push(
        new DurableConsumer<DecodedUsageBatch>({
          js: options.nats.js,
          jsm: options.nats.jsm,
          stream: names.stream,
          durable: USAGE_METERING_DURABLE,
          filterSubject: names.allSubjects,
          prefix: options.prefix,
          maxDeliver,
          ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
          ...(options.ackWaitMs ? { ackWaitMs: options.ackWaitMs } : {}),
          batch: maxBatch,
          maxBatch,
          maxWaitMs: options.maxWaitMs ?? 5,
          logger,
          decode: (msg) => {
            try {
              return decodeUsageBatch(msg.data);
            } catch (error) {
              this.metrics.deadLettered.add(1); // the consumer dead-letters an undecodable message at once
              throw error;
            }
          },
          batchHandler: async (msgs, batches) => {
            await this.meter.meter(msgs, batches);
          },
        }),
      );
    }
  }

  async start(): Promise<void> {
    const { nats, prefix } = this.options;
    const replicas = this.options.replicas ?? 1;
    await ensureStreams(nats.jsm, { prefix, replicas });
    await ensureUsageIngestStream(nats.jsm, { replicas, ...this.options.ingestStream, prefix });
    await this.consumers[0]!.ensure();
    for (const consumer of this.consumers) await consumer.start();
  }

  /** Stops pulling; the groups in hand finish (and are acked) first. */
  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }
}
