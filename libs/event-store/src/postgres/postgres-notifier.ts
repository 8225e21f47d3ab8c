import pg from 'pg';
import { quoteIdentifier } from './postgres-sql';

interface ListenConnection {
  readonly client: pg.ClientBase;
  dispose(error?: Error): Promise<void>;
}

/** Called on a notification with the event types it names; without them (reconnected, an empty payload): anything may have been appended. */
export type NotificationListener = (types?: readonly string[]) => void;

/** The event types a NOTIFY payload names (see the store's appendedTypesPayload), or undefined: any. */
export function appendedTypesOf(payload: string | undefined): readonly string[] | undefined {
  if (!payload) return undefined;
  try {
    const types: unknown = JSON.parse(payload);
    return Array.isArray(types) && types.length > 0 && types.every((type) => typeof type === 'string') ? types : undefined;
  } catch {
    return undefined;
  }
}

export interface PostgresNotifierOptions {
  readonly pool: pg.Pool;
  /** Used for a dedicated LISTEN connection; without it one client is taken from the pool. */
  readonly connectionString?: string;
  readonly channel: string;
}

/**
 * One LISTEN connection shared by a store's subscriptions: held while at least
 * one listener is registered, re-established with backoff when it fails. Every
 * listener is woken on a notification, and after (re)connecting, since
 * notifications sent while disconnected are lost.
 */
export class PostgresNotifier {
  private readonly listeners = new Set<NotificationListener>();
  private connection: ListenConnection | undefined;
  private chain: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 100;
  private closed = false;

  constructor(private readonly options: PostgresNotifierOptions) {}

  /** Registers `listener`; resolves once LISTEN is in place (or has failed and will be retried). */
  add(listener: NotificationListener): Promise<void> {
    this.listeners.add(listener);
    return this.reconcile();
  }

  /** Unregisters `listener`; the connection is released with the last one. */
  remove(listener: NotificationListener): Promise<void> {
    this.listeners.delete(listener);
    return this.reconcile();
  }

  close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return this.reconcile();
  }

  /** True while a LISTEN connection is established (for tests and health checks). */
  get listening(): boolean {
    return this.connection !== undefined;
  }

  private reconcile(): Promise<void> {
    this.chain = this.chain.then(() => this.apply()).catch(() => undefined);
    return this.chain;
  }

  private async apply(): Promise<void> {
    const wanted = !this.closed && this.listeners.size > 0;
    if (wanted && !this.connection) await this.connect();
    else if (!wanted && this.connection) {
      const connection = this.connection;
      this.connection = undefined;
      await connection.dispose();
    }
  }

  private async open(): Promise<ListenConnection> {
    if (this.options.connectionString) {
      const client = new pg.Client({ connectionString: this.options.connectionString });
      client.on('error', (error) => this.onError(client, error));
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return { client, dispose: () => client.end().catch(() => undefined) };
    }
    const client = await this.options.pool.connect();
    client.on('error', (error) => this.onError(client, error));
    return {
      client,
      // Never hand a LISTENing connection back to the pool: destroy it, and
      // wait (briefly) until the connection has really ended.
      dispose: (error?: Error) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          client.once('end', () => {
            clearTimeout(timer);
            resolve();
          });
          client.release(error ?? true);
        }),
    };
  }

  private async connect(): Promise<void> {
    let connection: ListenConnection | undefined;
    try {
      connection = await this.open();
      connection.client.on('notification', (message) => {
        if (message.channel === this.options.channel) this.wakeAll(appendedTypesOf(message.payload));
      });
      await connection.client.query(`LISTEN ${quoteIdentifier(this.options.channel)}`);
      this.connection = connection;
      this.retryDelayMs = 100;
      this.wakeAll();
    } catch (error) {
      if (connection) await connection.dispose(error instanceof Error ? error : undefined);
      this.scheduleRetry();
    }
  }

  private onError(client: pg.ClientBase, error: Error): void {
    const connection = this.connection;
    if (!connection || connection.client !== client) return;
    this.connection = undefined;
    void connection.dispose(error);
    this.wakeAll();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.listeners.size === 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reconcile();
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5000);
  }

  private wakeAll(types?: readonly string[]): void {
    for (const listener of this.listeners) listener(types);
  }
}
