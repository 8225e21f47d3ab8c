import { type Server, type Socket, connect, createServer } from 'node:net';

export interface RoundRobin {
  /** `http://127.0.0.1:<port>`: send requests here. */
  readonly url: string;
  /** Connections handed to each backend so far, by its URL. */
  readonly connections: Readonly<Record<string, number>>;
  /** Connections no backend took (every backend refused it). */
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * A TCP round-robin in front of HTTP backends, as a layer-4 load balancer
 * does it: each new connection goes to the next backend; one that refuses the
 * connection (a killed process) is passed over for the next, and the client
 * sees a reset only when every backend refuses. A connection open to a
 * backend that dies is cut, as it would be in front of a real crash: the
 * client retries, which is the caller's business.
 */
export async function startRoundRobin(backends: readonly string[]): Promise<RoundRobin> {
  const targets = backends.map((backend) => new URL(backend));
  const connections: Record<string, number> = Object.fromEntries(backends.map((backend) => [backend, 0]));
  let next = 0;
  let refused = 0;
  const open = new Set<Socket>();

  const server: Server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.pause();
    const attempt = (left: number): void => {
      if (left === 0) {
        refused++;
        client.destroy();
        return;
      }
      const index = next++ % targets.length;
      const target = targets[index]!;
      const upstream = connect({ host: target.hostname, port: Number(target.port) });
      open.add(upstream);
      upstream.once('close', () => open.delete(upstream));
      const failed = (): void => {
        upstream.destroy();
        attempt(left - 1);
      };
      upstream.once('error', failed);
      upstream.once('connect', () => {
        upstream.off('error', failed);
        connections[backends[index]!] = (connections[backends[index]!] ?? 0) + 1;
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(targets.length);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return { ...connections };
    },
    get refused() {
      return refused;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
