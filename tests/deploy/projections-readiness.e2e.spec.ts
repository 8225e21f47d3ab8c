/**
 * The projections process's readiness during a rolling upgrade that raises a projection's version:
 * its ops port answers /readyz 503, naming `read-models`, while it rebuilds the outdated read model in
 * the background, and 200 only once the rebuilt one is swapped in. With `maxUnavailable: 0` that keeps
 * the previous release's replicas (and the live read model) until then (deploy/README.md, Rolling upgrade).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PostgresEventStore } from '@steward/event-store';
import { createTestEnv, freePort, startChild, waitFor, type RunningChild, type TestEnv } from '@steward/testing';
import { PROBE_EVENT_TYPE } from './readiness-probe.projection';

const MODULE = join(__dirname, 'readiness-probe.projection.ts');

describe('projections readiness while an outdated read model is rebuilt', () => {
  let env: TestEnv;
  const children: RunningChild[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    const migrate = startChild('migrate', 'tools/migrate.ts', processEnv({}));
    const { code } = await migrate.exited;
    if (code !== 0) throw new Error(`migrate failed:\n${migrate.output}`);
    const store = new PostgresEventStore({ pool: env.pool });
    await store.append(
      `probe-${randomUUID()}`,
      Array.from({ length: 5 }, () => ({
        eventId: randomUUID(),
        type: PROBE_EVENT_TYPE,
        version: 1,
        data: {},
        metadata: { correlationId: randomUUID(), actor: { type: 'system' as const, id: 'readiness-test' }, occurredAt: new Date().toISOString() },
      })),
      { expectedRevision: 'no_stream' },
    );
  });

  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await env?.dispose();
  });

  function processEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      DATABASE_URL: env.databaseUrl,
      NATS_URL: env.natsUrl,
      NATS_PREFIX: env.natsPrefix,
      REDIS_URL: env.redisUrl,
      LOG_LEVEL: 'info',
      STEWARD_PROJECTION_MODULES: MODULE,
      ...extra,
    };
  }

  async function readyz(port: number): Promise<{ status: number; body: { status: string; checks: Record<string, { status: string }> } } | undefined> {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (!response) return undefined;
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, { status: string }> } };
  }

  async function storedVersion(): Promise<number | undefined> {
    const { rows } = await env.pool.query<{ version: number }>(`SELECT version FROM steward_projections.checkpoints WHERE name = 'readiness-probe'`);
    return rows[0]?.version;
  }

  it('answers 503 naming read-models during the rebuild, 200 once the new version is live', async () => {
    // The previous release: builds the read model at version 1, then stops.
    const previousPort = await freePort();
    const previous = startChild('projections-v1', 'services/projections/src/main.ts', processEnv({ PROBE_VERSION: '1', STEWARD_OPS_PORT: String(previousPort) }));
    children.push(previous);
    await waitFor('version 1 to be ready and caught up', async () => {
      const answer = await readyz(previousPort);
      if (answer?.status !== 200) return undefined;
      const { rows } = await env.pool.query<{ count: string }>('SELECT count(*) FROM rm_readiness_probe.probes');
      return rows[0]?.count === '5' ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    previous.process.kill('SIGTERM');
    expect(await previous.exited).toEqual({ code: 0, signal: null });

    // The new release raises the version: its rebuild takes about 3 s (one slow batch).
    const port = await freePort();
    const next = startChild('projections-v2', 'services/projections/src/main.ts', processEnv({ PROBE_VERSION: '2', PROBE_BATCH_DELAY_MS: '3000', STEWARD_OPS_PORT: String(port) }));
    children.push(next);
    const seen: { status: number; readModels: string | undefined; storedVersion: number | undefined }[] = [];
    await waitFor('version 2 to be ready', async () => {
      const answer = await readyz(port);
      if (!answer) return undefined;
      seen.push({ status: answer.status, readModels: answer.body.checks?.['read-models']?.status, storedVersion: await storedVersion() });
      return answer.status === 200 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });

    // The stored version is read just after each answer: a 503 may already see the swap, a 200 never precedes it.
    const rebuilding = seen.filter((observation) => observation.readModels === 'down');
    for (const observation of rebuilding) expect(observation.status).toBe(503);
    expect(rebuilding.filter((observation) => observation.storedVersion === 1).length).toBeGreaterThan(0);
    for (const observation of seen.filter((each) => each.status === 200)) expect(observation).toEqual({ status: 200, readModels: 'up', storedVersion: 2 });
    expect(seen.at(-1)?.status).toBe(200);
    expect(next.output).toContain('outdated read model rebuilt and swapped in');
    next.process.kill('SIGTERM');
    expect(await next.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
