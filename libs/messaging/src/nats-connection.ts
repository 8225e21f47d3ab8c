import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

export interface ConnectNatsOptions {
  /** One URL, a comma-separated list, or a list (`nats://127.0.0.1:4222`). */
  readonly servers: string | readonly string[];
  /** Shows in the server's connection list (`nats server report connections`). */
  readonly name: string;
  /** Keep reconnecting for ever (the default) or give up after this many attempts. */
  readonly maxReconnectAttempts?: number;
}

export interface NatsClients {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Drains the connection: in-flight publishes and subscriptions finish first. */
  close(): Promise<void>;
}

function serverList(servers: string | readonly string[]): string[] {
  const list = typeof servers === 'string' ? servers.split(',') : [...servers];
  return list.map((server) => server.trim()).filter((server) => server.length > 0);
}

/** Connects to NATS with JetStream. The caller owns the connection: call `close()` when done. */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsClients> {
  const nc = await connect({
    servers: serverList(options.servers),
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
  });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  return {
    nc,
    js,
    jsm,
    async close() {
      if (nc.isClosed()) return;
      await nc.drain();
    },
  };
}
