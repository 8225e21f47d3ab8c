/**
 * What bench:spend-reactor and bench:fold share: usage appended a chunk at a time, each chunk awaited by a
 * reader in this process, and the CPU of that reader (this process minus its appends) and of its
 * PostgreSQL backends (theirs minus the appends').
 */
import type pg from 'pg';
import type { EventStore, NewEvent } from '@steward/event-store';
import { appendUsage } from '../libs/usage-metering/src/read-models/chargeback/testing/usage-fixtures';
import { cpuSecondsOf } from './ingest.bench';

export interface ReaderCpu {
  /** Seconds of this process's CPU, the appends' own left out. */
  readonly reader: number;
  /** Seconds of this database's client backends' CPU, the appends' own left out. */
  readonly postgres: number;
}

/** Appends each chunk (as metering does: grouped by stream, one atomic append) and waits for `caughtUp(events appended so far)`. */
export async function appendAndFollow(
  pool: pg.Pool,
  store: EventStore,
  chunks: ReadonlyArray<ReadonlyArray<{ streamId: string; event: NewEvent }>>,
  caughtUp: (appended: number) => Promise<void>,
): Promise<ReaderCpu> {
  const backends = async (): Promise<number[]> =>
    (await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()")).rows.map((row) => row.pid);
  const pids = new Set(await backends());
  const pgCpu = (): number => [...pids].reduce((total, pid) => total + cpuSecondsOf(pid), 0);
  let appendCpu = 0;
  let pgAppend = 0;
  const startCpu = process.cpuUsage();
  const startPg = pgCpu();
  let appended = 0;
  for (const chunk of chunks) {
    const before = process.cpuUsage();
    const pgBefore = pgCpu();
    await appendUsage(store, chunk);
    const spent = process.cpuUsage(before);
    appendCpu += (spent.user + spent.system) / 1e6;
    pgAppend += pgCpu() - pgBefore;
    appended += chunk.length;
    await caughtUp(appended);
    for (const pid of await backends()) pids.add(pid);
  }
  const cpu = process.cpuUsage(startCpu);
  return { reader: (cpu.user + cpu.system) / 1e6 - appendCpu, postgres: pgCpu() - startPg - pgAppend };
}
