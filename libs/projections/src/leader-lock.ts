import { sql, type Kysely } from 'kysely';
import pg from 'pg';

export interface LeaderLockOptions {
  /** How to open the dedicated connection that holds the lock (never a pooled one). */
  readonly connection: pg.ClientConfig;
  /** Hashed into the advisory lock key with `hashtextextended`. */
  readonly key: string;
  /** How often the holder checks its connection is alive (ms). */
  readonly keepAliveIntervalMs?: number;
  /** Called once when a held lock is lost (connection error, end, or a failed keep-alive). */
  readonly onLost?: (error: Error) => void;
}

/**
 * A PostgreSQL session advisory lock on a dedicated connection. The server
 * releases it when the session ends, so a dead holder (crash, SIGKILL, network
 * loss) frees it for a standby. The holder learns it lost the lock when its
 * connection errors, ends, or fails a keep-alive query, and must then stop
 * writing at once (writes are fenced by the checkpoint epoch besides).
 */
export class LeaderLock {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private isHeld = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly options: LeaderLockOptions) {}

  get held(): boolean {
    return this.isHeld;
  }

  /** Tries once, without waiting. Keeps the connection open between attempts. */
  async tryAcquire(): Promise<boolean> {
    if (this.isHeld) return true;
    const client = await this.connect();
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
      [this.options.key],
    );
    if (!rows[0]?.locked) return false;
    this.isHeld = true;
    this.startKeepAlive(client);
    return true;
  }

  /** Polls until acquired or the deadline passes. */
  async acquire(timeoutMs: number, pollIntervalMs = 200, shouldStop: () => boolean = () => false): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.tryAcquire()) return true;
      if (Date.now() >= deadline || shouldStop()) return false;
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
  }

  /** Releases the lock (keeps the connection for later attempts). */
  async release(): Promise<void> {
    this.stopKeepAlive();
    if (!this.isHeld) return;
    this.isHeld = false;
    const client = this.client;
    if (!client) return;
    try {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.options.key]);
    } catch {
      // The session is gone, and the lock with it.
      this.discard(client);
    }
  }

  /** Releases the lock and closes the connection. */
  async close(): Promise<void> {
    this.stopKeepAlive();
    this.isHeld = false;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    this.connecting = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  /** The lock connection's backend pid (tests terminate it to simulate a dead holder). */
  async backendPid(): Promise<number | undefined> {
    const client = this.client;
    if (!client) return undefined;
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0]?.pid;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const client = new pg.Client({ ...this.options.connection, keepAlive: true });
      client.on('error', (error) => this.lost(client, error));
      client.on('end', () => this.lost(client, new Error('lock connection ended')));
      try {
        await client.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.client = client;
      this.connecting = undefined;
      return client;
    })();
    return this.connecting;
  }

  private startKeepAlive(client: pg.Client): void {
    this.stopKeepAlive();
    const interval = this.options.keepAliveIntervalMs ?? 1000;
    const timer = setInterval(() => {
      let settled = false;
      const timeout = setTimeout(() => {
        if (!settled) this.lost(client, new Error(`lock connection did not answer within ${interval * 2} ms`));
      }, interval * 2);
      client
        .query('SELECT 1')
        .then(() => undefined, (error: unknown) => this.lost(client, error instanceof Error ? error : new Error(String(error))))
        .finally(() => {
          settled = true;
          clearTimeout(timeout);
        });
    }, interval);
    timer.unref();
    this.keepAlive = timer;
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private lost(client: pg.Client, error: Error): void {
    if (client !== this.client) return;
    this.discard(client);
    if (this.isHeld) {
      this.isHeld = false;
      this.stopKeepAlive();
      this.options.onLost?.(error);
    }
  }

  private discard(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
  }
}

/** Whether any session of this database holds the advisory lock `key` (a leader is running somewhere). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function isLockHeld(db: Kysely<any>, key: string): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_locks l, (SELECT hashtextextended(${key}, 0) AS k) h
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid::bigint = ((h.k >> 32) & 4294967295)
         AND l.objid::bigint = (h.k & 4294967295)
    ) AS held`.execute(db);
  return !!rows[0]?.held;
}
