import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { derivedId, newId, type UsageEvent, type UsageIngestPath } from '@steward/contracts';
import { isStreamFull, usageIngestNames, type UsageIngestNames } from '@steward/messaging';
import { GatewayError, GatewayErrorCode } from '../../../gateway.error';

export interface UsageIngestPublisherOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** NATS prefix ('' in production, env.natsPrefix in tests). */
  readonly natsPrefix: string;
  /** How long to wait for JetStream's acknowledgement. Default 5 s. */
  readonly ackTimeoutMs?: number;
  /** Retry-After (seconds) of a 429 when the backlog is full. Default 2. */
  readonly fullRetryAfterSeconds?: number;
  /** Retry-After (seconds) of a 503 when NATS does not answer. Default 2. */
  readonly unavailableRetryAfterSeconds?: number;
  /** Largest message in bytes. Default: what the server allows (`max_payload`, 1 MiB by default). */
  readonly maxMessageBytes?: number;
}

export interface UsageBatchToPublish {
  readonly batchId: string;
  readonly workspaceId: string;
  readonly organizationId: string | undefined;
  readonly receivedAt: string;
  readonly via: UsageIngestPath;
  readonly actor: string | undefined;
  readonly events: readonly UsageEvent[];
}

/** Room kept in each message for the batch's own fields and the NATS headers. */
const ENVELOPE_ROOM = 4096;

/**
 * The id of an accepted batch: derived from who sent it and their
 * Idempotency-Key when there is one (a retried request publishes the same id,
 * which JetStream drops as a duplicate), random otherwise (metering's dedup by
 * event id still counts each event once).
 */
export function batchIdFor(principalKey: string, route: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return newId('usageBatch');
  return derivedId('usageBatch', JSON.stringify([principalKey, route, idempotencyKey]));
}

/**
 * Publishes accepted usage batches on the ingest stream and waits for
 * JetStream's acknowledgement (the batch is on disk: accepted means durable).
 * One batch is one message (`Nats-Msg-Id` = batchId); a batch larger than a
 * NATS message is cut into parts `<batchId>:<n>`, the same cut for the same
 * events, so a retry re-publishes the same ids. A full backlog is a 429 and an
 * unreachable or silent NATS a 503, both with Retry-After.
 */
export class UsageIngestPublisher {
  private readonly names: UsageIngestNames;

  constructor(private readonly options: UsageIngestPublisherOptions) {
    this.names = usageIngestNames(options.natsPrefix);
  }

  /** Resolves with the ids of the messages published (one unless the batch was cut). */
  async publish(batch: UsageBatchToPublish): Promise<string[]> {
    const parts = this.encode(batch);
    const subject = this.names.workspaceSubject(batch.workspaceId);
    const timeout = this.options.ackTimeoutMs ?? 5_000;
    const results = await Promise.allSettled(parts.map((part) => this.options.js.publish(subject, part.payload, { msgID: part.id, timeout })));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw this.refusal(failed.reason);
    return parts.map((part) => part.id);
  }

  private refusal(error: unknown): GatewayError {
    if (isStreamFull(error)) {
      return new GatewayError(GatewayErrorCode.RateLimited, 'the usage ingest backlog is full; retry later with the same request', {
        retryAfterSeconds: this.options.fullRetryAfterSeconds ?? 2,
        cause: error,
      });
    }
    return new GatewayError(GatewayErrorCode.Unavailable, 'usage ingest is unavailable; retry later with the same request', {
      retryAfterSeconds: this.options.unavailableRetryAfterSeconds ?? 2,
      cause: error,
    });
  }

  private maxBytes(): number {
    const serverMax = this.options.nc.info?.max_payload ?? 1024 * 1024;
    return Math.max(ENVELOPE_ROOM * 2, (this.options.maxMessageBytes ?? serverMax) - ENVELOPE_ROOM);
  }

  /** The batch as one or more messages of at most maxBytes, each a valid UsageIngestBatch. */
  private encode(batch: UsageBatchToPublish): Array<{ id: string; payload: Uint8Array }> {
    const limit = this.maxBytes();
    const groups: string[][] = [];
    let current: string[] = [];
    let size = 0;
    for (const event of batch.events) {
      const json = JSON.stringify(event);
      const bytes = Buffer.byteLength(json) + 1;
      if (current.length > 0 && size + bytes > limit) {
        groups.push(current);
        current = [];
        size = 0;
      }
      current.push(json);
      size += bytes;
    }
    if (current.length > 0) groups.push(current);
    const head = (id: string): string =>
      JSON.stringify({
        batchId: id,
        workspaceId: batch.workspaceId,
        ...(batch.organizationId !== undefined ? { organizationId: batch.organizationId } : {}),
        receivedAt: batch.receivedAt,
        via: batch.via,
        ...(batch.actor !== undefined ? { actor: batch.actor } : {}),
      }).slice(0, -1);
    return groups.map((events, index) => {
      const id = groups.length === 1 ? batch.batchId : `${batch.batchId}:${index + 1}`;
      return { id, payload: Buffer.from(`${head(id)},"events":[${events.join(',')}]}`) };
    });
  }
}
