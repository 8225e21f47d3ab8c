import {
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { natsNames } from './nats-names';

export interface EnsureStreamsOptions {
  /** '' in production, the test env's `natsPrefix` in tests (see `natsNames`). */
  readonly prefix: string;
  /** How long JetStream remembers a `Nats-Msg-Id` to drop a re-publish. Default one hour; at least one hour. */
  readonly duplicateWindowMs?: number;
  /** 1 on a single server, 3 on the production cluster. Default 1. */
  readonly replicas?: number;
}

export interface EnsuredStreams {
  readonly events: StreamInfo;
  readonly deadLetters: StreamInfo;
}

const HOUR_MS = 3_600_000;

/**
 * Creates the events stream and the dead-letter stream, or brings an existing
 * one to the wanted configuration. Safe to run on every start, from several
 * processes at once.
 */
export async function ensureStreams(jsm: JetStreamManager, options: EnsureStreamsOptions): Promise<EnsuredStreams> {
  const names = natsNames(options.prefix);
  const duplicateWindowMs = options.duplicateWindowMs ?? HOUR_MS;
  if (duplicateWindowMs < HOUR_MS) {
    throw new MessagingError(
      MessagingErrorCode.InvalidArgument,
      `the duplicate window must be at least one hour (relay restarts re-publish), got ${duplicateWindowMs} ms`,
    );
  }
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: nanos(duplicateWindowMs),
  };
  const [events, deadLetters] = await Promise.all([
    ensureStream(jsm, {
      ...common,
      name: names.eventsStream,
      subjects: [names.eventsSubjects],
      description: 'Steward domain events, published by the relay from the event store',
    }),
    ensureStream(jsm, {
      ...common,
      name: names.deadLetterStream,
      subjects: [names.deadLetterSubjects],
      description: 'Messages that consumers gave up on, with the failure reason in headers',
    }),
  ]);
  return { events, deadLetters };
}

type WantedStream = Pick<StreamConfig, 'name' | 'subjects' | 'retention' | 'storage' | 'num_replicas' | 'duplicate_window'> & {
  description: string;
};

/** Creates one stream, or updates it when its updatable settings differ. */
export async function ensureStream(jsm: JetStreamManager, wanted: WantedStream): Promise<StreamInfo> {
  let info = await streamInfo(jsm, wanted.name);
  if (!info) {
    try {
      return await jsm.streams.add(wanted);
    } catch (error) {
      // Another process created it between our look-up and our add.
      info = await streamInfo(jsm, wanted.name);
      if (!info) throw error;
    }
  }
  if (info.config.storage !== wanted.storage || info.config.retention !== wanted.retention) {
    throw new MessagingError(
      MessagingErrorCode.IncompatibleConfiguration,
      `stream ${wanted.name} exists with storage ${info.config.storage} / retention ${info.config.retention}, ` +
        `wanted ${wanted.storage} / ${wanted.retention}: these cannot be changed in place`,
      { stream: wanted.name },
    );
  }
  const sameSubjects =
    info.config.subjects.length === wanted.subjects.length &&
    wanted.subjects.every((subject) => info.config.subjects.includes(subject));
  if (
    sameSubjects &&
    info.config.duplicate_window === wanted.duplicate_window &&
    info.config.num_replicas === wanted.num_replicas &&
    (info.config.description ?? '') === wanted.description
  ) {
    return info;
  }
  return jsm.streams.update(wanted.name, {
    subjects: wanted.subjects,
    duplicate_window: wanted.duplicate_window,
    num_replicas: wanted.num_replicas,
    description: wanted.description,
  });
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw error;
  }
}
