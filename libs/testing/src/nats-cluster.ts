import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { waitFor } from './wait-for';

export interface NatsNode {
  /** `n1`, `n2`, … (the JetStream `server_name`, as stream info names a leader). */
  readonly name: string;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** The monitoring endpoint (`/varz`, `/jsz`). */
  readonly monitorUrl: string;
  readonly running: boolean;
  /** What the server printed so far (every run). */
  output(): string;
  /** Sends `signal` (default SIGKILL) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and store (a node back after a crash). */
  start(): void;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's client URL, comma-separated: a NATS_URL for Steward's processes. */
  readonly url: string;
  /** The server's version (`2.9.10`). */
  readonly version: string;
  /** Whether the nodes fsync every write before acknowledging it (`sync_interval: always`, NATS ≥ 2.10). */
  readonly syncAlways: boolean;
  node(name: string): NatsNode;
  /** Resolves once JetStream answers through every running node (a meta leader is elected). */
  ready(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes the store directories. */
  close(): Promise<void>;
}

/** `count` ports free at once (held open together, so none is handed out twice). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function serverVersion(binary: string): string {
  const printed = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  const match = /v?(\d+\.\d+\.\d+)/.exec(printed);
  if (!match) throw new Error(`cannot read the version of ${binary}: ${printed}`);
  return match[1]!;
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/**
 * A local JetStream cluster of `size` `nats-server` processes (the binary on
 * PATH, or NATS_SERVER_BIN) on free ports of 127.0.0.1, each with its own
 * file store in a temporary directory, routes to every other node, and
 * `sync_interval: always` where the server knows it (2.10 and later; see
 * deploy/nats-cluster.md for why it matters and what an older server does).
 */
export async function startNatsCluster(options: { readonly size?: number; readonly name?: string } = {}): Promise<NatsCluster> {
  const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
  const version = serverVersion(binary);
  const syncAlways = atLeast(version, 2, 10);
  const size = options.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'steward-nats-'));
  const free = await distinctFreePorts(size * 3);
  const ports = Array.from({ length: size }, (_, i) => ({ client: free[i * 3]!, cluster: free[i * 3 + 1]!, monitor: free[i * 3 + 2]! }));
  const routes = ports.map((port) => `nats-route://127.0.0.1:${port.cluster}`).join(', ');

  const nodes = ports.map((port, index): NatsNode => {
    const name = `n${index + 1}`;
    const config = join(dir, `${name}.conf`);
    writeFileSync(
      config,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${port.client}`,
        `http: 127.0.0.1:${port.monitor}`,
        'jetstream {',
        `  store_dir: "${join(dir, name)}"`,
        // fsync each write before it is acknowledged (NATS 2.10+); the default flushes every 2 minutes
        ...(syncAlways ? ['  sync_interval: always'] : []),
        '}',
        'cluster {',
        `  name: ${options.name ?? 'steward-test'}`,
        `  listen: 127.0.0.1:${port.cluster}`,
        `  routes: [${routes}]`,
        '}',
        '',
      ].join('\n'),
    );
    let child: ChildProcess | undefined;
    let exited: Promise<void> = Promise.resolve();
    let printed = '';
    const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
    const node: NatsNode = {
      name,
      url: `nats://127.0.0.1:${port.client}`,
      monitorUrl: `http://127.0.0.1:${port.monitor}`,
      get running() {
        return alive();
      },
      output: () => printed,
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (alive()) child!.kill(signal);
        await exited;
      },
      start() {
        if (alive()) throw new Error(`${name} is running`);
        const started = spawn(binary, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
        started.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
        started.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
        exited = new Promise((resolve) => started.once('exit', () => resolve()));
        child = started;
      },
    };
    return node;
  });
  for (const node of nodes) node.start();

  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((node) => node.url).join(','),
    version,
    syncAlways,
    node(name) {
      const found = nodes.find((node) => node.name === name);
      if (!found) throw new Error(`no NATS node ${name}`);
      return found;
    },
    async ready(timeoutMs = 60_000) {
      const { connect } = await import('@nats-io/transport-node');
      const { jetstreamManager } = await import('@nats-io/jetstream');
      for (const node of nodes.filter((candidate) => candidate.running)) {
        const verdict = await waitFor(
          `JetStream through ${node.name}`,
          async () => {
            if (!node.running) return 'exited';
            const nc = await connect({ servers: node.url, reconnect: false, timeout: 2_000 });
            try {
              const jsm = await jetstreamManager(nc, { timeout: 2_000 });
              await jsm.getAccountInfo();
              return 'ready';
            } finally {
              await nc.close();
            }
          },
          { timeoutMs, intervalMs: 250 },
        );
        if (verdict !== 'ready') throw new Error(`NATS node ${node.name} exited:\n${node.output().slice(-2000)}`);
      }
    },
    async close() {
      await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.ready();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
