import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StoredMsg, type StreamInfo } from '@nats-io/jetstream';
import { metrics, type Meter, type ObservableResult } from '@opentelemetry/api';
import { DeadLetterHeaders } from './durable-consumer';
import { natsNames } from './nats-names';

/** One message of the dead-letter stream, as operators see it. */
export interface DeadLetter {
  /** Its sequence in `<PREFIX>_DLQ`. */
  readonly seq: number;
  /** The consumer that gave up on it (the last token of `<p>dlq.<durable>`). */
  readonly consumer: string;
  readonly deadLetteredAt: Date;
  readonly reason: string;
  /** Where the original message was: subject, stream and sequence, and how often it was delivered. */
  readonly originalSubject: string | undefined;
  readonly originalStream: string | undefined;
  readonly originalSequence: number | undefined;
  readonly deliveryCount: number | undefined;
  /** When only some events of a batch were dead-lettered: their indices in the original batch. */
  readonly members: readonly number[] | undefined;
  readonly bytes: number;
  /** For a usage batch: its id, workspace and the ids of the events it holds (never the rest of their data). */
  readonly batch: { readonly batchId?: string; readonly workspaceId?: string; readonly events: ReadonlyArray<{ readonly id?: string; readonly source?: string }> } | undefined;
}

export interface DeadLetterListing {
  /** Dead letters in the stream now, per consumer. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  /** The newest first. */
  readonly items: readonly DeadLetter[];
}

export interface ListDeadLettersOptions {
  /** Only this consumer's dead letters. */
  readonly consumer?: string;
  /** Most items returned. Default 50. */
  readonly limit?: number;
}

/** Dead letters per consumer: the message count of each `<p>dlq.<durable>` subject. */
export async function countDeadLetters(jsm: JetStreamManager, prefix: string): Promise<Record<string, number>> {
  const names = natsNames(prefix);
  const info = await streamInfo(jsm, names.deadLetterStream, names.deadLetterSubjects);
  const counts: Record<string, number> = {};
  for (const [subject, count] of Object.entries(info?.state.subjects ?? {})) counts[consumerOf(subject)] = count;
  return counts;
}

/** undefined while the stream does not exist (no process ensured it yet: nothing was dead-lettered). */
async function streamInfo(jsm: JetStreamManager, stream: string, subjects?: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(stream, subjects ? { subjects_filter: subjects } : undefined);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw error;
  }
}

/** The newest dead letters (of one consumer, or all), read from the dead-letter stream. */
export async function listDeadLetters(jsm: JetStreamManager, prefix: string, options: ListDeadLettersOptions = {}): Promise<DeadLetterListing> {
  const names = natsNames(prefix);
  const limit = options.limit ?? 50;
  const counts = await countDeadLetters(jsm, prefix);
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const wanted = options.consumer === undefined ? undefined : names.deadLetterSubject(options.consumer);
  const state = (await streamInfo(jsm, names.deadLetterStream))?.state ?? { first_seq: 1, last_seq: 0 };
  const items: DeadLetter[] = [];
  for (let seq = state.last_seq; seq >= state.first_seq && seq > 0 && items.length < limit; seq--) {
    const message = await jsm.streams.getMessage(names.deadLetterStream, { seq }).catch(() => null);
    if (!message || (wanted !== undefined && message.subject !== wanted)) continue;
    items.push(toDeadLetter(message));
  }
  return { counts, total, items };
}

export const DEAD_LETTERS_GAUGE = 'steward.messaging.dead_letters';

/**
 * An observable gauge of the dead letters held per consumer (attribute `consumer`), read from the stream at each
 * collection: an alert on it sees a dead letter however it came. Returns a function that unregisters it.
 */
export function registerDeadLetterMetrics(jsm: JetStreamManager, prefix: string, meter: Meter = metrics.getMeter('@steward/messaging')): () => void {
  const gauge = meter.createObservableGauge(DEAD_LETTERS_GAUGE, {
    description: 'Messages in the dead-letter stream, per consumer that gave up on them (npm run steward -- dead-letters list)',
    unit: '{message}',
  });
  const callback = async (result: ObservableResult): Promise<void> => {
    const counts = await countDeadLetters(jsm, prefix).catch(() => undefined);
    for (const [consumer, count] of Object.entries(counts ?? {})) result.observe(count, { consumer });
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}

function consumerOf(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

function toDeadLetter(message: StoredMsg): DeadLetter {
  const header = (name: string): string | undefined => message.header?.get(name) || undefined;
  const number = (name: string): number | undefined => {
    const value = header(name);
    return value === undefined ? undefined : Number(value);
  };
  const members = header(DeadLetterHeaders.Members);
  return {
    seq: message.seq,
    consumer: consumerOf(message.subject),
    deadLetteredAt: message.time,
    reason: header(DeadLetterHeaders.Reason) ?? 'unknown',
    originalSubject: header(DeadLetterHeaders.Subject),
    originalStream: header(DeadLetterHeaders.Stream),
    originalSequence: number(DeadLetterHeaders.StreamSequence),
    deliveryCount: number(DeadLetterHeaders.DeliveryCount),
    members: members ? members.split(',').map(Number) : undefined,
    bytes: message.data.length,
    batch: batchOf(message.data),
  };
}

function batchOf(data: Uint8Array): DeadLetter['batch'] {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as { batchId?: unknown; workspaceId?: unknown; events?: unknown };
    if (!Array.isArray(parsed.events)) return undefined;
    const text = (value: unknown): string | undefined => (typeof value === 'string' ? value.slice(0, 200) : undefined);
    return {
      ...(text(parsed.batchId) ? { batchId: text(parsed.batchId) } : {}),
      ...(text(parsed.workspaceId) ? { workspaceId: text(parsed.workspaceId) } : {}),
      events: parsed.events.map((event: { id?: unknown; source?: unknown } | null) => ({
        ...(text(event?.id) ? { id: text(event?.id) } : {}),
        ...(text(event?.source) ? { source: text(event?.source) } : {}),
      })),
    };
  } catch {
    return undefined;
  }
}
