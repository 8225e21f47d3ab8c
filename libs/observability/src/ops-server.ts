import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsHandler } from './telemetry';

/**
 * The operational HTTP port of a process that has no HTTP API of its own (the
 * relay, projections, the command services, usage-metering): what an
 * orchestrator probes and Prometheus scrapes. The gateway serves the same
 * paths on its API port and does not start one.
 *
 * - `GET /healthz`: 200 while the process runs (liveness: the event loop answers).
 * - `GET /readyz`: 503 while starting and once stopping; otherwise 200 when every
 *   check answers within its time limit, else 503 naming the check that failed.
 * - `GET /metrics`: the Prometheus exposition of the process's metrics.
 */
export interface OpsServerOptions {
  readonly port: number;
  /** Default 127.0.0.1; `0.0.0.0` inside a container, where the kubelet probes the pod's address. */
  readonly host?: string;
  readonly metricsHandler?: MetricsHandler;
  /** Dependencies that must answer for the process to count as ready (e.g. `postgres: () => pool.query('SELECT 1')`). */
  readonly checks?: Readonly<Record<string, () => Promise<unknown>>>;
  /** Per check. Default 2 s. */
  readonly checkTimeoutMs?: number;
}

export interface OpsServer {
  /** Undefined when no port was configured (nothing listens). */
  readonly url: string | undefined;
  /** Startup has finished: /readyz may answer 200 from now on. */
  ready(): void;
  /** Shutdown has begun: /readyz answers 503 from now on, /healthz still 200. */
  stopping(): void;
  close(): Promise<void>;
}

export interface OpsReadiness {
  readonly status: 'starting' | 'ready' | 'unavailable' | 'shutting-down';
  readonly checks: Readonly<Record<string, { readonly status: 'up' | 'down'; readonly latencyMs: number; readonly error?: string }>>;
}

const DISABLED: OpsServer = { url: undefined, ready() {}, stopping() {}, close: () => Promise.resolve() };

async function runCheck(probe: () => Promise<unknown>, timeoutMs: number): Promise<OpsReadiness['checks'][string]> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  const checks = Object.entries(options.checks ?? {});
  const timeoutMs = options.checkTimeoutMs ?? 2000;

  const readiness = async (): Promise<OpsReadiness> => {
    if (phase === 'starting') return { status: 'starting', checks: {} };
    if (phase === 'stopping') return { status: 'shutting-down', checks: {} };
    const results = await Promise.all(checks.map(async ([name, probe]) => [name, await runCheck(probe, timeoutMs)] as const));
    // stopping may have begun while the checks ran
    if ((phase as string) === 'stopping') return { status: 'shutting-down', checks: {} };
    const status = results.some(([, result]) => result.status === 'down') ? 'unavailable' : 'ready';
    return { status, checks: Object.fromEntries(results) };
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0]!.replace(/\/$/, '');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { status: 'method not allowed' });
      return;
    }
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return;
    }
    if (path === '/readyz') {
      readiness().then(
        (report) => sendJson(response, report.status === 'ready' ? 200 : 503, report),
        (error: unknown) => sendJson(response, 503, { status: 'unavailable', error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    if (path === '/metrics' && options.metricsHandler) {
      options.metricsHandler(request, response);
      return;
    }
    sendJson(response, 404, { status: 'not found' });
  };

  const server: Server = createServer(handle);
  // A probe's connection must not hold the process open past its shutdown.
  server.keepAliveTimeout = 1000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    ready() {
      if (phase === 'starting') phase = 'running';
    },
    stopping() {
      phase = 'stopping';
    },
    close() {
      phase = 'stopping';
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/**
 * The ops server as the environment configures it: `STEWARD_OPS_PORT` (unset or empty: none, as under
 * `npm start`, where every process shares one host) and `STEWARD_OPS_HOST` (default 127.0.0.1).
 */
export async function startOpsServerFromEnv(
  options: Omit<OpsServerOptions, 'port' | 'host'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpsServer> {
  const text = env.STEWARD_OPS_PORT;
  if (text === undefined || text === '') return DISABLED;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`STEWARD_OPS_PORT must be a port number, not ${text}`);
  return startOpsServer({ ...options, port, ...(env.STEWARD_OPS_HOST ? { host: env.STEWARD_OPS_HOST } : {}) });
}
