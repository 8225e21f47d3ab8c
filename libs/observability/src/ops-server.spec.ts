import { metrics } from '@opentelemetry/api';
import { startOpsServer, startOpsServerFromEnv, type OpsServer } from './ops-server';
import { initTelemetry, resetTelemetryForTests } from './telemetry';

async function get(server: OpsServer, path: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const response = await fetch(`${server.url}${path}`, init);
  return { status: response.status, body: await response.text() };
}

describe('ops server', () => {
  const servers: OpsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await resetTelemetryForTests();
  });

  async function start(options: Partial<Parameters<typeof startOpsServer>[0]> = {}): Promise<OpsServer> {
    const server = await startOpsServer({ port: 0, ...options });
    servers.push(server);
    return server;
  }

  it('is live at once, ready only after startup and until shutdown begins', async () => {
    const server = await start({ checks: { postgres: () => Promise.resolve() } });
    expect(await get(server, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    const starting = await get(server, '/readyz');
    expect(starting.status).toBe(503);
    expect(JSON.parse(starting.body)).toEqual({ status: 'starting', checks: {} });

    server.ready();
    const ready = await get(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' } } });

    server.stopping();
    const stopping = await get(server, '/readyz');
    expect(stopping.status).toBe(503);
    expect(JSON.parse(stopping.body).status).toBe('shutting-down');
    expect((await get(server, '/healthz')).status).toBe(200);
  });

  it('is unavailable, naming the check, when a dependency fails or does not answer in time', async () => {
    let failing = true;
    const server = await start({
      checkTimeoutMs: 100,
      checks: {
        postgres: () => (failing ? Promise.reject(new Error('connection refused')) : Promise.resolve()),
        nats: () => new Promise(() => undefined),
      },
    });
    server.ready();
    const report = await get(server, '/readyz');
    expect(report.status).toBe(503);
    expect(JSON.parse(report.body)).toMatchObject({
      status: 'unavailable',
      checks: { postgres: { status: 'down', error: 'connection refused' }, nats: { status: 'down', error: 'no answer within 100 ms' } },
    });
    failing = false;
    expect(JSON.parse((await get(server, '/readyz')).body).checks.postgres.status).toBe('up');
  });

  it('serves the process metrics in the Prometheus format', async () => {
    const telemetry = initTelemetry({ serviceName: 'ops-server-test' });
    metrics.getMeter('test').createCounter('steward.ops_test.events').add(2);
    const server = await start({ metricsHandler: telemetry.metricsHandler! });
    const scraped = await get(server, '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.body).toMatch(/^steward_ops_test_events_total\{[^}]*\} 2$/m);
  });

  it('answers 404 off its paths and 405 to anything but GET', async () => {
    const server = await start();
    expect((await get(server, '/metrics')).status).toBe(404);
    expect((await get(server, '/v1/me')).status).toBe(404);
    expect((await get(server, '/healthz', { method: 'POST' })).status).toBe(405);
  });

  it('listens only when STEWARD_OPS_PORT is set, and refuses a port that is not one', async () => {
    const none = await startOpsServerFromEnv({}, {});
    expect(none.url).toBeUndefined();
    await expect(startOpsServerFromEnv({}, { STEWARD_OPS_PORT: 'http' })).rejects.toThrow('STEWARD_OPS_PORT must be a port number, not http');
    const configured = await startOpsServerFromEnv({}, { STEWARD_OPS_PORT: '0', STEWARD_OPS_HOST: '127.0.0.1' });
    servers.push(configured);
    expect(configured.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
