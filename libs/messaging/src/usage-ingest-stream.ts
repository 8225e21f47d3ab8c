import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { natsNames, toSubjectToken } from './nats-names';

/** NATS names of usage ingest (DESIGN §3): one subject per workspace, one work-queue stream for all. */
export interface UsageIngestNames {
  /** `<PREFIX>_USAGE_INGEST` */
  readonly stream: string;
  /** `<p>usage.ingest.>`: the stream's subjects and the metering consumer's filter. */
  readonly allSubjects: string;
  /** `<p>usage.ingest.<workspaceId>`: where a batch of that workspace is published. */
  workspaceSubject(workspaceId: string): string;
}

export function usageIngestNames(prefix: string): UsageIngestNames {
  const names = natsNames(prefix);
  return {
    stream: names.stream('USAGE_INGEST'),
    allSubjects: names.subject('usage', 'ingest', '>'),
    workspaceSubject: (workspaceId) => names.subject('usage', 'ingest', toSubjectToken(workspaceId)),
  };
}

export interface UsageIngestStreamOptions {
  readonly prefix: string;
  /** 1 on a single server, 3 on a cluster. Default 1. */
  readonly replicas?: number;
  /**
   * The backlog (published, not yet metered) the stream holds before refusing new batches. A refused
   * publish is the edge's signal to answer 429 with Retry-After. Defaults: 1 GiB, 1,000,000 batches.
   */
  readonly maxBytes?: number;
  readonly maxMessages?: number;
  /** The largest batch message accepted. Default 16 MiB (10,000 events of ~1 KiB leave room). */
  readonly maxMessageBytes?: number;
  /** How long a batch id (Nats-Msg-Id) is remembered to drop a re-publish. Default one hour. */
  readonly duplicateWindowMs?: number;
}

export const USAGE_INGEST_DEFAULTS = {
  maxBytes: 1024 * 1024 * 1024,
  maxMessages: 1_000_000,
  maxMessageBytes: 16 * 1024 * 1024,
  duplicateWindowMs: 3_600_000,
} as const;

/**
 * Creates the usage ingest stream, or brings its limits to the wanted values. Work-queue retention: a
 * batch is removed once metering acknowledges it (after its events are appended), so the stream holds the
 * backlog only, and `discard: new` makes a full backlog refuse publishes instead of dropping old batches.
 * File storage: a batch acknowledged to the publisher survives a restart of the NATS server.
 */
export async function ensureUsageIngestStream(jsm: JetStreamManager, options: UsageIngestStreamOptions): Promise<StreamInfo> {
  const names = usageIngestNames(options.prefix);
  const wanted = {
    max_bytes: options.maxBytes ?? USAGE_INGEST_DEFAULTS.maxBytes,
    max_msgs: options.maxMessages ?? USAGE_INGEST_DEFAULTS.maxMessages,
    max_msg_size: options.maxMessageBytes ?? USAGE_INGEST_DEFAULTS.maxMessageBytes,
    duplicate_window: nanos(options.duplicateWindowMs ?? USAGE_INGEST_DEFAULTS.duplicateWindowMs),
    num_replicas: options.replicas ?? 1,
  };
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(names.stream);
  } catch {
    info = undefined;
  }
  if (!info) {
    try {
      return await jsm.streams.add({
        name: names.stream,
        subjects: [names.allSubjects],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        description: 'Accepted usage batches waiting to be metered (removed once usage-metering has appended them)',
        ...wanted,
      });
    } catch (error) {
      info = await jsm.streams.info(names.stream).catch(() => undefined);
      if (!info) throw error;
    }
  }
  if (info.config.retention !== RetentionPolicy.Workqueue || info.config.storage !== StorageType.File) {
    throw new MessagingError(
      MessagingErrorCode.IncompatibleConfiguration,
      `stream ${names.stream} exists with retention ${info.config.retention} / storage ${info.config.storage}; wanted workqueue / file`,
      { stream: names.stream },
    );
  }
  const same = (Object.keys(wanted) as (keyof typeof wanted)[]).every((key) => info.config[key] === wanted[key]);
  if (same && info.config.discard === DiscardPolicy.New) return info;
  return jsm.streams.update(names.stream, { ...wanted, discard: DiscardPolicy.New, subjects: [names.allSubjects] });
}

/**
 * True when a JetStream publish was refused because the stream is at its limits (the backlog is full):
 * the edge answers 429 with Retry-After. Any other failure (timeout, no stream) is not this.
 */
export function isStreamFull(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown; api_error?: { err_code?: number } }).api_error?.err_code;
  // 10077: maximum messages exceeded; 10047: insufficient resources / maximum bytes exceeded
  if (code === 10077 || code === 10047 || code === 10054) return true;
  return /maximum (messages|bytes) exceeded|insufficient resources|message size exceeds/i.test(error.message);
}

function positiveFromEnv(env: NodeJS.ProcessEnv, names: readonly string[]): number | undefined {
  for (const name of names) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not ${text}`);
    return value;
  }
  return undefined;
}

/**
 * The ingest stream's limits from the environment, read alike by every process that ensures the stream
 * (the gateway, usage-metering), so that none of them sets back what another set:
 * USAGE_INGEST_MAX_MESSAGES (batches waiting to be metered), USAGE_INGEST_MAX_BYTES, USAGE_INGEST_REPLICAS
 * (default NATS_STREAM_REPLICAS, else 1).
 * Defaults: USAGE_INGEST_DEFAULTS. Past the limits the ingest routes answer 429 with Retry-After.
 */
export function usageIngestStreamOptionsFromEnv(env: NodeJS.ProcessEnv, prefix: string): UsageIngestStreamOptions {
  const maxMessages = positiveFromEnv(env, ['USAGE_INGEST_MAX_MESSAGES']);
  const maxBytes = positiveFromEnv(env, ['USAGE_INGEST_MAX_BYTES']);
  const replicas = positiveFromEnv(env, ['USAGE_INGEST_REPLICAS', 'NATS_STREAM_REPLICAS']);
  return {
    prefix,
    ...(maxMessages !== undefined ? { maxMessages } : {}),
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
  };
}
