import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type NewEvent } from '@steward/event-store';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { DeadLetterHeaders, connectNats, ensureStreams, natsNames } from '@steward/messaging';
import { createTestEnv, runStewardCli, type CliRun, type TestEnv } from '@steward/testing';

function newEvent(type: string, data: Record<string, unknown> = {}): NewEvent {
  return { eventId: randomUUID(), type, version: 1, data, metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'cli-test' }, occurredAt: new Date().toISOString() } };
}

function steward(env: TestEnv, args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  return runStewardCli(args, { ...process.env, DATABASE_URL: env.databaseUrl, EVENT_STORE_SCHEMA: 'cli_events', ...extraEnv });
}

// Each run is a fresh Node process compiling the CLI with swc: about 2 s on a quiet machine and 10 s or more
// on two loaded cores in CI. A test that runs the CLI n times is given n × this budget instead of the tier's default.
const CLI_RUN_BUDGET_MS = 30_000;

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
  }, 2 * CLI_RUN_BUDGET_MS);

  it('shows a quarantined event in status and the quarantine, and replays it once fixed', async () => {
    const modules = { STEWARD_PROJECTION_MODULES: 'libs/projections/test/cli-projections.fixture.ts' };
    const store = new PostgresEventStore({ pool: env.pool, schema: 'cli_events' });
    const poison = newEvent('Poison', { note: 'private' });
    await store.append(`cli-poison-a-${randomUUID()}`, [newEvent('Good'), poison], { expectedRevision: 'no_stream' });
    await store.append(`cli-poison-b-${randomUUID()}`, [newEvent('Good')], { expectedRevision: 'no_stream' });
    await store.close();
    // a rebuild applies what it can and leaves the event it cannot apply in the quarantine, as a live runner does
    const rebuilt = await steward(env, ['projections', 'rebuild', 'cli-poison'], modules);
    expect(rebuilt.code).toBe(0);

    const status = await steward(env, ['projections', 'status', '--json'], modules);
    const poisoned = (JSON.parse(status.stdout) as Array<Record<string, unknown>>).find((projection) => projection.name === 'cli-poison');
    expect(poisoned).toMatchObject({ eventsApplied: '2', health: 'degraded', quarantined: 1 });
    const table = await steward(env, ['projections', 'status'], modules);
    expect(table.stdout).toMatch(/cli-poison .*degraded: 1 quarantined/);

    const listed = await steward(env, ['projections', 'quarantine', 'cli-poison'], modules);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(poison.eventId);
    expect(listed.stdout).toContain('Poison v1');
    expect(listed.stdout).toContain('Error poisoned batch');
    expect(listed.stdout).not.toContain('private');

    // Not fixed yet: it fails again and stays (exit 1).
    const early = await steward(env, ['projections', 'replay-quarantine', 'cli-poison'], modules);
    expect(early.code).toBe(1);
    expect(early.stdout).toMatch(new RegExp(`^failed\t.*${poison.eventId}`, 'm'));
    expect(early.stderr).toContain('cli-poison: 0 replayed, 1 failed again, 1 still quarantined');

    const fixed = await steward(env, ['projections', 'replay-quarantine', 'cli-poison'], { ...modules, STEWARD_TEST_POISON_FIXED: '1' });
    expect(fixed.stderr).toContain('cli-poison: 1 replayed, 0 failed again, 0 still quarantined');
    expect(fixed.code).toBe(0);
    const { rows } = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM rm_cli_poison.entries');
    expect(rows[0]!.n).toBe('3');
    const json = await steward(env, ['projections', 'quarantine', 'cli-poison', '--json'], modules);
    expect(JSON.parse(json.stdout)).toEqual([]);
  }, 7 * CLI_RUN_BUDGET_MS);

  it('lists dead letters: the count per consumer, then each with its reason and event ids', async () => {
    const natsEnv = { NATS_URL: env.natsUrl, NATS_PREFIX: env.natsPrefix };
    // No dead-letter stream yet: nothing to list, nothing created.
    const empty = await steward(env, ['dead-letters', 'list'], natsEnv);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('dead letters: 0');

    const nats = await connectNats({ servers: env.natsUrl, name: 'cli-dead-letters' });
    try {
      await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
      const headers = natsHeaders();
      headers.set(DeadLetterHeaders.Reason, 'events[1]: event store refused the data: unsupported Unicode escape sequence');
      headers.set(DeadLetterHeaders.Subject, `${env.natsPrefix}usage.ingest.ws-1`);
      headers.set(DeadLetterHeaders.StreamSequence, '42');
      headers.set(DeadLetterHeaders.Members, '1');
      const batch = { batchId: 'batch-1', workspaceId: 'ws-1', events: [{ id: 'call-7', source: 'agent-host', agent: 'private words' }] };
      await nats.js.publish(natsNames(env.natsPrefix).deadLetterSubject('usage-metering'), JSON.stringify(batch), { headers });
    } finally {
      await nats.close();
    }
    const listed = await steward(env, ['dead-letters', 'list'], natsEnv);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('dead letters: 1 (usage-metering 1)');
    expect(listed.stdout).toMatch(/usage-metering .*usage\.ingest\.ws-1#42 +1:call-7 +events\[1\]: event store refused the data/);
    expect(listed.stdout).not.toContain('private words');
    const json = await steward(env, ['dead-letters', 'list', '--consumer', 'usage-metering', '--json'], natsEnv);
    expect(JSON.parse(json.stdout)).toMatchObject({ total: 1, items: [{ consumer: 'usage-metering', members: [1], batch: { batchId: 'batch-1', events: [{ id: 'call-7' }] } }] });
  }, 3 * CLI_RUN_BUDGET_MS);

  it('prints usage with exit code 2 for an unknown command', async () => {
    const run = await steward(env, ['projections', 'explode']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage:');
  });
});
