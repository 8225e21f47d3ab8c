/** What one run measures. Every field can be set by env (`BENCH_EVENTS`) or flag (`--events=`). */
export interface BenchOptions {
  /** Events in the main data set (batch append, read-all, replay). */
  readonly events: number;
  /** Events per append call. */
  readonly batch: number;
  /** Distinct streams (workspace × agent) in the data set. */
  readonly streams: number;
  /** Streams one batch touches: Steward appends them in one appendMany, Emmett needs one call each. */
  readonly streamsPerBatch: number;
  /** Events for each single-event run (concurrency 1 and 16). */
  readonly singleEvents: number;
  /** Concurrency of the second single-event run. */
  readonly concurrency: number;
  /** readAll page size for the read-all run. */
  readonly page: number;
  /** Events per page (one transaction each) in the projection replay. */
  readonly replayPage: number;
  /** Rows per COPY statement for the per-batch COPY (defaults to `batch`). */
  readonly copyBatch: number;
  /** Contenders to run, in order. */
  readonly contenders: readonly ContenderName[];
}

export const CONTENDERS = ['steward', 'emmett', 'copy'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

const DEFAULTS = {
  events: 200_000,
  batch: 1_000,
  streams: 100,
  streamsPerBatch: 10,
  singleEvents: 10_000,
  concurrency: 16,
  page: 1_000,
  replayPage: 10_000,
};

function flag(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function envName(name: string): string {
  return `BENCH_${name.replace(/-/g, '_').toUpperCase()}`;
}

function integer(argv: readonly string[], name: string, fallback: number): number {
  const text = flag(argv, name) ?? process.env[envName(name)];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${text}`);
  return value;
}

export function parseBenchOptions(argv: readonly string[] = process.argv.slice(2), env = process.env): BenchOptions {
  const events = integer(argv, 'events', DEFAULTS.events);
  const batch = integer(argv, 'batch', DEFAULTS.batch);
  const streams = integer(argv, 'streams', DEFAULTS.streams);
  const streamsPerBatch = Math.min(integer(argv, 'streams-per-batch', DEFAULTS.streamsPerBatch), streams, batch);
  const singleEvents = integer(argv, 'single-events', Math.min(DEFAULTS.singleEvents, events));
  const contenderText = flag(argv, 'contenders') ?? env.BENCH_CONTENDERS ?? CONTENDERS.join(',');
  const contenders = contenderText.split(',').map((name) => name.trim());
  for (const name of contenders) {
    if (!(CONTENDERS as readonly string[]).includes(name)) {
      throw new Error(`unknown contender ${name}: expected some of ${CONTENDERS.join(', ')}`);
    }
  }
  return {
    events,
    batch,
    streams,
    streamsPerBatch,
    singleEvents,
    concurrency: integer(argv, 'concurrency', DEFAULTS.concurrency),
    page: integer(argv, 'page', DEFAULTS.page),
    replayPage: integer(argv, 'replay-page', DEFAULTS.replayPage),
    copyBatch: integer(argv, 'copy-batch', batch),
    contenders: contenders as ContenderName[],
  };
}

/** Passes the options to a contender's child process. */
export function optionsToEnv(options: BenchOptions): Record<string, string> {
  return {
    BENCH_EVENTS: String(options.events),
    BENCH_BATCH: String(options.batch),
    BENCH_STREAMS: String(options.streams),
    BENCH_STREAMS_PER_BATCH: String(options.streamsPerBatch),
    BENCH_SINGLE_EVENTS: String(options.singleEvents),
    BENCH_CONCURRENCY: String(options.concurrency),
    BENCH_PAGE: String(options.page),
    BENCH_REPLAY_PAGE: String(options.replayPage),
    BENCH_COPY_BATCH: String(options.copyBatch),
    BENCH_CONTENDERS: options.contenders.join(','),
  };
}

/**
 * Connections the parallel batch modes use: Emmett's sends a batch's
 * per-stream calls all at once (one connection each, up to the pool size);
 * Steward's keeps that many batches in flight, one appendMany each.
 */
export function parallelConnections(options: Pick<BenchOptions, 'streamsPerBatch' | 'concurrency'>): number {
  return Math.min(options.streamsPerBatch, options.concurrency);
}
