/**
 * The operator's command line.
 *
 *   npm run steward -- projections rebuild <name> [--batch-size <n>]
 *   npm run steward -- projections status [--json]
 *   npm run steward -- projections list
 *   npm run steward -- projections quarantine <name> [--json]
 *   npm run steward -- projections replay-quarantine <name>
 *   npm run steward -- dead-letters list [--consumer <durable>] [--limit <n>] [--json]
 *   npm run steward -- secrets rotate | status | generate-key   (libs/secrets/src/secrets.cli.ts)
 *
 * Environment: NATS_URL and NATS_PREFIX (dead letters), DATABASE_URL (default postgres://postgres@127.0.0.1:5432/steward),
 * EVENT_STORE_SCHEMA (default steward_events), STEWARD_PROJECTION_MODULES (extra
 * projection modules, see projection-catalog.ts).
 * Exit codes: 0 done, 1 failed (replay-quarantine: an event failed again and stays), 2 bad usage or
 * unknown projection.
 */
import pg from 'pg';
import { loadConfig } from '@steward/config';
import { PostgresEventStore, formatPosition } from '@steward/event-store';
import { ProjectionHost, type ProjectionDefinition, type ProjectionLogger } from '@steward/projections';
import { ProgressBar } from './progress-bar';
import { loadProjections } from '../../services/projections/src/projection-catalog';
import { SECRETS_USAGE, runSecretsCommand } from '@steward/secrets';
import { connectNats, listDeadLetters } from '@steward/messaging';

const USAGE = `usage:
  npm run steward -- projections rebuild <name> [--batch-size <n>]
  npm run steward -- projections status [--json]
  npm run steward -- projections list
  npm run steward -- projections quarantine <name> [--json]
  npm run steward -- projections replay-quarantine <name>
  npm run steward -- dead-letters list [--consumer <durable>] [--limit <n>] [--json]
${SECRETS_USAGE}`;

class UsageError extends Error {}

const quietLogger: ProjectionLogger = {
  info: () => undefined,
  warn: (fields, message) => console.error(`warning: ${message}`, JSON.stringify(fields)),
  error: (fields, message) => console.error(`error: ${message}`, JSON.stringify(fields)),
};

async function withHost<T>(projections: readonly ProjectionDefinition[], run: (host: ProjectionHost) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 });
  const store = new PostgresEventStore({ pool, schema: config.eventStoreSchema });
  const host = new ProjectionHost({ pool, store, projections, meter: false, logger: quietLogger, instanceId: `cli:${process.pid}` });
  try {
    return await run(host);
  } finally {
    await store.close();
    await pool.end();
  }
}

function find(projections: readonly ProjectionDefinition[], name: string | undefined): ProjectionDefinition {
  if (!name) throw new UsageError(`missing projection name\n${USAGE}`);
  const projection = projections.find((candidate) => candidate.name === name);
  if (!projection) {
    const known = projections.map((candidate) => candidate.name).join(', ') || '(none)';
    throw new UsageError(`unknown projection "${name}"; known projections: ${known}`);
  }
  return projection;
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  args.splice(index, 2);
  return value;
}

async function rebuild(args: string[]): Promise<void> {
  const batchSizeText = option(args, '--batch-size');
  const batchSize = batchSizeText === undefined ? undefined : Number(batchSizeText);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new UsageError('--batch-size must be a positive integer');
  }
  const projections = loadProjections();
  const projection = find(projections, args[0]);
  if (args.length > 1) throw new UsageError(`unexpected arguments: ${args.slice(1).join(' ')}\n${USAGE}`);
  const bar = new ProgressBar(process.stderr);
  await withHost([projection], async (host) => {
    const result = await host.rebuild(projection.name, {
      ...(batchSize ? { batchSize } : {}),
      onProgress: (progress) => bar.update({ ...progress, phase: progress.phase }),
    });
    bar.finish(
      `rebuilt ${result.name}: ${result.eventsApplied} events in ${(result.durationMs / 1000).toFixed(1)} s ` +
        `(${Math.round(result.eventsPerSecond)} ev/s), checkpoint ${formatPosition(result.position)}`,
    );
  });
}

async function status(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const projections = loadProjections();
  await withHost(projections, async (host) => {
    await host.migrate();
    const statuses = await host.status();
    if (json) {
      const plain = statuses.map((s) => ({ ...s, checkpoint: formatPosition(s.checkpoint), eventsApplied: s.eventsApplied.toString() }));
      console.log(JSON.stringify(plain, null, 2));
      return;
    }
    const rows = statuses.map((s) => [
      s.name,
      s.hasLeader ? 'running' : 'no runner',
      formatPosition(s.checkpoint),
      s.eventsApplied.toString(),
      s.lagEvents.toString(),
      s.lagSeconds.toFixed(1),
      s.storedVersion === undefined ? `-/${s.version}` : `${s.storedVersion}/${s.version}`,
      s.health === 'degraded' ? `degraded: ${s.quarantined} quarantined` : 'ok',
    ]);
    printTable(['projection', 'leader', 'checkpoint', 'applied', 'lag events', 'lag s', 'version (stored/code)', 'health'], rows);
  });
}

/** Lists what a projection quarantined: the event's id and place, never its data. */
async function quarantine(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const rest = args.filter((arg) => arg !== '--json');
  const projections = loadProjections();
  const projection = find(projections, rest[0]);
  if (rest.length > 1) throw new UsageError(`unexpected arguments: ${rest.slice(1).join(' ')}\n${USAGE}`);
  await withHost([projection], async (host) => {
    await host.migrate();
    const events = await host.quarantined(projection.name);
    if (json) {
      const plain = events.map((e) => ({ ...e, streamRevision: e.streamRevision.toString(), position: formatPosition(e.position) }));
      console.log(JSON.stringify(plain, null, 2));
      return;
    }
    if (events.length === 0) {
      console.log(`${projection.name}: nothing quarantined`);
      return;
    }
    printTable(
      ['position', 'event id', 'type', 'stream', 'recorded', 'quarantined', 'replays', 'error'],
      events.map((e) => [
        formatPosition(e.position),
        e.eventId,
        `${e.eventType} v${e.eventVersion}`,
        `${e.streamId}@${e.streamRevision}`,
        e.recordedAt.toISOString(),
        e.quarantinedAt.toISOString(),
        String(e.replayAttempts),
        `${e.errorCode ?? ''} ${e.errorMessage}`.trim().replace(/\s+/g, ' '),
      ]),
    );
  });
}

/** Applies the quarantined events with this (fixed) code, each once; the ones that fail again stay. */
async function replayQuarantined(args: string[]): Promise<number> {
  const projections = loadProjections();
  const projection = find(projections, args[0]);
  if (args.length > 1) throw new UsageError(`unexpected arguments: ${args.slice(1).join(' ')}\n${USAGE}`);
  return withHost([projection], async (host) => {
    const result = await host.replayQuarantine(projection.name);
    for (const { event, outcome, error } of result.events) {
      console.log(`${outcome}\t${formatPosition(event.position)}\t${event.eventId}\t${event.eventType}${error ? `\t${error}` : ''}`);
    }
    const remaining = (await host.quarantined(projection.name)).length;
    console.error(`${projection.name}: ${result.replayed} replayed, ${result.failed} failed again, ${remaining} still quarantined`);
    return result.failed > 0 ? 1 : 0;
  });
}

/** What consumers gave up on: counts per consumer, then the newest, with the reason and the events' ids (never their data). */
async function deadLetters(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command !== 'list') throw new UsageError(USAGE);
  const json = rest.includes('--json');
  const options = rest.filter((arg) => arg !== '--json');
  const consumer = option(options, '--consumer');
  const limitText = option(options, '--limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  if (options.length > 0) throw new UsageError(`unexpected arguments: ${options.join(' ')}\n${USAGE}`);
  const config = loadConfig();
  const nats = await connectNats({ servers: config.natsUrl, name: `steward-cli-${process.pid}` });
  try {
    const listing = await listDeadLetters(nats.jsm, config.natsPrefix, { limit, ...(consumer ? { consumer } : {}) });
    if (json) {
      console.log(JSON.stringify(listing, null, 2));
      return;
    }
    const counts = Object.entries(listing.counts).map(([name, count]) => `${name} ${count}`);
    console.log(`dead letters: ${listing.total}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}`);
    if (listing.items.length === 0) return;
    printTable(
      ['seq', 'consumer', 'dead-lettered', 'from', 'events', 'reason'],
      listing.items.map((item) => [
        String(item.seq),
        item.consumer,
        item.deadLetteredAt.toISOString(),
        `${item.originalSubject ?? '?'}#${item.originalSequence ?? '?'}`,
        item.batch
          ? item.batch.events.map((event, i) => `${item.members?.[i] ?? i}:${event.id ?? '?'}`).join(' ')
          : `${item.bytes} bytes`,
        item.reason,
      ]),
    );
  } finally {
    await nats.close();
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function main(argv: string[]): Promise<number> {
  const [area, command, ...rest] = argv;
  try {
    if (area === 'secrets') return await runSecretsCommand(argv.slice(1), loadConfig().databaseUrl);
    if (area === 'dead-letters') {
      await deadLetters(argv.slice(1));
      return 0;
    }
    if (area !== 'projections') throw new UsageError(USAGE);
    switch (command) {
      case 'rebuild':
        await rebuild(rest);
        return 0;
      case 'status':
        await status(rest);
        return 0;
      case 'quarantine':
        await quarantine(rest);
        return 0;
      case 'replay-quarantine':
        return await replayQuarantined(rest);
      case 'list':
        for (const projection of loadProjections()) console.log(`${projection.name}\tv${projection.version}`);
        return 0;
      default:
        throw new UsageError(USAGE);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    console.error(`steward: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
