import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@steward/event-store';
import { createTestEnv, type TestEnv } from '@steward/testing';

const root = join(__dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function steward(env: TestEnv, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/cli/steward.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: env.databaseUrl, EVENT_STORE_SCHEMA: 'cli_events', ...extraEnv },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run steward -- projections', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
    const store = new PostgresEventStore({ pool: env.pool, schema: 'cli_events' });
    await store.migrate();
    for (let i = 0; i < 4; i++) {
      const events = ['UsageRecorded', 'UsageRecorded', 'JobStarted'].map((type) => ({
        eventId: randomUUID(),
        type,
        version: 1,
        data: {},
        metadata: { correlationId: randomUUID(), actor: { type: 'system' as const, id: 'cli-test' }, occurredAt: new Date().toISOString() },
      }));
      await store.append(`cli-ledger-${randomUUID()}`, events, { expectedRevision: 'no_stream' });
    }
    await store.close();
  });

  afterAll(async () => {
    await env.dispose();
  });

  it('refuses an unknown projection with exit code 2 and names the known ones', async () => {
    const run = await steward(env, ['projections', 'rebuild', 'no-such-thing'], {
      STEWARD_PROJECTION_MODULES: 'libs/projections/test/cli-projections.fixture.ts',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown projection "no-such-thing"; known projections: ');
    expect(run.stderr).toMatch(/known projections: .*\bevent-counts\b/);
    expect(run.stderr).toMatch(/known projections: .*\bcli-ledger\b/);
  });

  it('rebuilds a projection with progress on stderr, then reports it in status', async () => {
    const modules = { STEWARD_PROJECTION_MODULES: 'libs/projections/test/cli-projections.fixture.ts' };
    const rebuild = await steward(env, ['projections', 'rebuild', 'event-counts'], modules);
    expect(rebuild.stderr).toContain('rebuilt event-counts: 12 events');
    expect(rebuild.stderr).toMatch(/\[#+\]\s+100\.0%/);
    expect(rebuild.code).toBe(0);
    const { rows } = await env.pool.query<{ event_type: string; events: string }>(
      'SELECT event_type, events FROM rm_event_counts.event_counts ORDER BY event_type',
    );
    expect(rows).toEqual([
      { event_type: 'JobStarted', events: '4' },
      { event_type: 'UsageRecorded', events: '8' },
    ]);

    const status = await steward(env, ['projections', 'status', '--json'], modules);
    expect(status.code).toBe(0);
    const counts = (JSON.parse(status.stdout) as Array<Record<string, unknown>>).find((projection) => projection.name === 'event-counts');
    expect(counts).toMatchObject({ name: 'event-counts', eventsApplied: '12', lagEvents: 0, storedVersion: 1, hasLeader: false });
  });

  it('prints usage with exit code 2 for an unknown command', async () => {
    const run = await steward(env, ['projections', 'explode']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage:');
  });
});
