/**
 * Re-rating under faults: the usage-metering process (services/usage-metering/src/main.ts, a real child
 * process, which runs the usage-rerate reactor) is SIGKILLed while it re-rates 60 days of calls, and
 * restarted. Afterwards every call of the range carries exactly one correction of that re-rate, at the
 * hand-checkable new cost, and Σ cost after corrections is the exact Σ under the new price.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { UsageStreams, usageEventIdFor, type UsageCorrectedData, type UsageRecordedData } from '@steward/contracts';
import { PostgresEventStore, type NewEvent } from '@steward/event-store';
import { type TestEnv, createTestEnv, waitFor } from '@steward/testing';
import { ModelSettingsCommandService } from '../../services/usage-metering/src/models/model-settings.command-service';
import { seedWorkspace } from '../../services/usage-metering/src/models/model-settings.test-support';

const ROOT = join(__dirname, '..', '..');
const METERING = join(ROOT, 'services/usage-metering/src/main.ts');
const DAYS = 60;
const CALLS_PER_DAY = 400;
const DAY = 86_400_000;

interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('re-rating survives SIGKILL of usage-metering', () => {
  jest.setTimeout(300_000);
  let env: TestEnv;
  let store: PostgresEventStore;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.close();
    await env?.dispose();
  });

  function startMetering(): Child {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', METERING], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: env.databaseUrl, NATS_URL: env.natsUrl, NATS_PREFIX: env.natsPrefix, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { process: child, output: () => output, exited };
  }

  async function corrections(): Promise<number> {
    const { rows } = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM steward_events.events WHERE event_type = 'UsageCorrected'`);
    return rows[0]!.n;
  }

  it('every call of the range is corrected exactly once, at the exact new cost', async () => {
    const { organizationId, workspaceId } = await seedWorkspace(store, { 'u-admin': 'admin' });
    const now = Date.now();
    const start = now - DAYS * DAY;
    const expectedCost = new Map<string, string>();
    let recordedTotal = new Decimal(0);
    let expectedTotal = new Decimal(0);
    for (let day = 0; day < DAYS; day++) {
      const events: NewEvent[] = [];
      for (let i = 0; i < CALLS_PER_DAY; i++) {
        const usageId = `call-${day}-${i}`;
        const time = new Date(start + 3_600_000 + day * DAY + i * 1000).toISOString();
        const inputTokens = 1000 + i;
        const outputTokens = 10 + (i % 7);
        const cost = new Decimal(inputTokens).times('0.000001').plus(new Decimal(outputTokens).times('0.000002'));
        const data: UsageRecordedData = {
          organizationId,
          workspaceId,
          usageId,
          source: 'sigkill',
          time,
          agent: 'agent',
          provider: 'openai',
          model: 'gpt-rerate',
          inputTokens,
          outputTokens,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
          reasoningOutputTokens: 0,
          responseTimeMs: 10,
          status: 'success',
          cost: cost.toFixed(),
          pricing: { status: 'priced', source: 'workspace', ref: 'old', unitPrices: { input: '0.000001', output: '0.000002' } },
          receivedAt: time,
          via: 'nats',
        };
        const eventId = usageEventIdFor(workspaceId, 'sigkill', usageId);
        const next = new Decimal(inputTokens).times('0.000000777777777777').plus(new Decimal(outputTokens).times('0.000003000000000001'));
        expectedCost.set(eventId, next.toFixed());
        recordedTotal = recordedTotal.plus(cost);
        expectedTotal = expectedTotal.plus(next);
        events.push({ eventId, type: 'UsageRecorded', version: 1, data, metadata: { correlationId: randomUUID(), actor: { type: 'service', id: 'test' }, occurredAt: time } });
      }
      await store.append(UsageStreams.usage(workspaceId, events[0]!.metadata.occurredAt), events, { expectedRevision: 'no_stream' });
    }

    let metering = startMetering();
    await waitFor('usage-metering started', () => (metering.output().includes('model settings started') ? true : undefined), { timeoutMs: 120_000 });
    const service = new ModelSettingsCommandService({ store });
    await service.run('SetModelPricing', {
      commandId: randomUUID(),
      type: 'SetModelPricing',
      actor: { type: 'user', id: 'u-admin' },
      issuedAt: new Date().toISOString(),
      payload: {
        workspaceId,
        provider: 'openai',
        model: 'gpt-rerate',
        unitPrices: { input: '0.000000777777777777', output: '0.000003000000000001' },
        effectiveFrom: new Date(start).toISOString(),
        rerate: true,
      },
    });

    // kill it twice mid-way through the re-rate
    const total = DAYS * CALLS_PER_DAY;
    for (const threshold of [total / 6, total / 2]) {
      await waitFor(`${threshold} corrections`, async () => ((await corrections()) >= threshold ? true : undefined), { timeoutMs: 120_000, intervalMs: 5 });
      metering.process.kill('SIGKILL');
      expect((await metering.exited).signal).toBe('SIGKILL');
      const atKill = await corrections();
      expect(atKill).toBeLessThan(total);
      metering = startMetering();
    }

    await waitFor(
      'the re-rate recorded as done',
      async () => {
        const { rows } = await env.pool.query(`SELECT calls_corrected FROM rm_usage_rerate.rerates`).catch(() => ({ rows: [] as Array<{ calls_corrected: number }> }));
        return rows[0]?.calls_corrected === total ? true : undefined;
      },
      { timeoutMs: 180_000 },
    );

    const { rows } = await env.pool.query<{ data: UsageCorrectedData }>(`SELECT data FROM steward_events.events WHERE event_type = 'UsageCorrected'`);
    expect(rows).toHaveLength(total);
    const seen = new Set<string>();
    let delta = new Decimal(0);
    for (const { data } of rows) {
      expect(seen.has(data.usageEventId)).toBe(false);
      seen.add(data.usageEventId);
      expect(data.cost).toBe(expectedCost.get(data.usageEventId));
      delta = delta.plus(data.delta);
    }
    expect(seen.size).toBe(total);
    expect(recordedTotal.plus(delta).equals(expectedTotal)).toBe(true);
    metering.process.kill('SIGTERM');
    await metering.exited;
  });
});
