/**
 * Credit consumption under faults: priced usage of three organizations streams into the event store while
 * the billing process of a real stack (libs/testing's startStack: services/billing/src/main.ts running the
 * consumption reactor) is SIGKILLed twice and restarted. Afterwards, per organization: Σ consumed USD = Σ priced usage (calls and
 * corrections) exactly, Σ credits = Σ USD × the plan's credits per USD exactly, the consumed source ranges
 * never overlap, and no grant was ever drawn below zero.
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import {
  BillingStreams,
  UsageStreams,
  usageEventIdFor,
  type CreditsConsumedData,
  type CreditsExpiredData,
  type CreditsGrantedData,
  type UsageCorrectedData,
  type UsageRecordedData,
} from '@steward/contracts';
import { PostgresEventStore, type NewEvent } from '@steward/event-store';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';

const ORGANIZATIONS = 3;
const CHUNKS = 60;
const CALLS_PER_CHUNK = 40;

describe('credit consumption survives SIGKILL of the billing process', () => {
  jest.setTimeout(300_000);
  let env: TestEnv;
  let store: PostgresEventStore;
  let stack: Stack | undefined;

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    stack = await startStack(env, {
      // `info`: restart() waits for "billing started"
      logLevel: 'info',
      // small folds: many appends, many chances for a kill to land between an append and its checkpoint;
      // the default plan catalogue (100 credits per USD, no unlimited overdraft)
      env: { BILLING_BATCH_SIZE: '25', STEWARD_BILLING_PLANS: '' },
      // usage is written straight into the store: nothing meters, prices or runs agents here
      without: ['usage-metering', 'runtime-registry', 'job-history'],
      readyTimeoutMs: 180_000,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await store?.close();
    await env?.dispose();
  });

  async function consumptionBatches(): Promise<number> {
    const { rows } = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM steward_events.events WHERE event_type = 'CreditsConsumed'`);
    return rows[0]!.n;
  }

  async function ledger(organizationId: string): Promise<Array<{ type: string; data: unknown }>> {
    return (await store.readStream(BillingStreams.account(organizationId))).map((event) => ({ type: event.type, data: event.data }));
  }

  it('Σ consumed = Σ priced usage × rate exactly, nothing lost, nothing doubled, no grant below zero', async () => {
    const organizations = Array.from({ length: ORGANIZATIONS }, (_, index) => ({ organizationId: `org_kill${index}${randomUUID().slice(0, 6)}`, workspaceId: `ws_kill${index}${randomUUID().slice(0, 6)}` }));
    const usd = new Map(organizations.map(({ organizationId }) => [organizationId, new Decimal(0)]));
    const calls = new Map(organizations.map(({ organizationId }) => [organizationId, 0]));

    const writeChunk = async (chunk: number): Promise<void> => {
      for (const { organizationId, workspaceId } of organizations) {
        const events: NewEvent[] = [];
        const time = new Date(Date.now() - 60_000).toISOString();
        for (let i = 0; i < CALLS_PER_CHUNK; i++) {
          const usageId = `call-${chunk}-${i}`;
          // prices with many decimals: exactness is what is tested
          const cost = new Decimal(1000 + i).times('0.000000333333333333').plus(new Decimal(chunk).times('0.0000017'));
          const data: UsageRecordedData = recorded(organizationId, workspaceId, usageId, time, cost.toFixed());
          events.push(newEvent(usageEventIdFor(workspaceId, 'kill', usageId), 'UsageRecorded', data, time));
          usd.set(organizationId, usd.get(organizationId)!.plus(cost));
          calls.set(organizationId, calls.get(organizationId)! + 1);
        }
        // every fifth chunk re-rates one of its calls downwards: a negative delta
        if (chunk % 5 === 0) {
          const previous = new Decimal(1000).times('0.000000333333333333').plus(new Decimal(chunk).times('0.0000017'));
          const next = previous.dividedBy(3).toDecimalPlaces(18);
          const data: UsageCorrectedData = corrected(organizationId, workspaceId, `call-${chunk}-0`, time, previous.toFixed(), next.toFixed());
          events.push(newEvent(randomUUID(), 'UsageCorrected', data, time));
          usd.set(organizationId, usd.get(organizationId)!.plus(data.delta));
          calls.set(organizationId, calls.get(organizationId)! + 1);
        }
        await store.append(UsageStreams.usage(workspaceId, time), events, { expectedRevision: 'any' });
      }
    };

    const running = stack!;
    await running.ready('billing', { timeoutMs: 120_000 });
    // The writer holds at a gate until the kill it waits for has happened, so that each kill falls while usage is
    // still streaming in however slow the machine (a free-running writer could finish before billing got going).
    const gates = [20, 40];
    const released: Array<() => void> = [];
    const gateOpen = gates.map(() => new Promise<void>((resolve) => released.push(resolve)));
    let written = 0;
    const writer = (async () => {
      for (; written < CHUNKS; written++) {
        const gate = gates.indexOf(written);
        if (gate >= 0) await gateOpen[gate];
        await writeChunk(written);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();

    // kill it twice while usage streams in, each time once it has consumed some more since it (re)started
    let batchesAtStart = 0;
    for (const [kill, gate] of gates.entries()) {
      const atLeast = batchesAtStart + 4;
      await waitFor(`${atLeast} consumption batches`, async () => ((await consumptionBatches()) >= atLeast ? true : undefined), { timeoutMs: 120_000, intervalMs: 5 });
      expect((await running.kill('billing', 'SIGKILL')).signal).toBe('SIGKILL');
      expect(written).toBeLessThanOrEqual(gate);
      batchesAtStart = await consumptionBatches();
      // the writer goes on while billing starts again
      released[kill]!();
      await running.restart('billing', { timeoutMs: 120_000 });
    }
    await writer;

    const consumedOf = async (organizationId: string): Promise<CreditsConsumedData[]> =>
      (await ledger(organizationId)).filter((event) => event.type === 'CreditsConsumed').map((event) => event.data as CreditsConsumedData);
    await waitFor(
      'every call consumed',
      async () => {
        for (const { organizationId } of organizations) {
          const batches = await consumedOf(organizationId);
          if (batches.reduce((total, batch) => total + batch.source.events, 0) < calls.get(organizationId)!) return undefined;
        }
        return true;
      },
      { timeoutMs: 180_000 },
    );

    for (const { organizationId } of organizations) {
      const batches = await consumedOf(organizationId);
      const consumedUsd = batches.reduce((total, batch) => total.plus(batch.usd), new Decimal(0));
      const consumedCredits = batches.reduce((total, batch) => total.plus(batch.credits), new Decimal(0));
      expect(consumedUsd.toFixed()).toBe(usd.get(organizationId)!.toFixed());
      expect(consumedCredits.toFixed()).toBe(usd.get(organizationId)!.times(100).toFixed());
      expect(batches.reduce((total, batch) => total + batch.source.events, 0)).toBe(calls.get(organizationId));
      // the idempotency keys: each range starts after the previous one ended
      for (let i = 1; i < batches.length; i++) expect(after(batches[i]!.source.first, batches[i - 1]!.source.last)).toBe(true);
      // no grant below zero: amount − repaid − Σ draws − expired ≥ 0 after every event
      const remaining = new Map<string, Decimal>();
      for (const event of await ledger(organizationId)) {
        if (event.type === 'CreditsGranted') {
          const data = event.data as CreditsGrantedData;
          remaining.set(data.grantId, new Decimal(data.amount).minus(data.repaid));
        } else if (event.type === 'CreditsConsumed') {
          for (const draw of (event.data as CreditsConsumedData).draws) remaining.set(draw.grantId, remaining.get(draw.grantId)!.minus(draw.credits));
        } else if (event.type === 'CreditsExpired') {
          const data = event.data as CreditsExpiredData;
          remaining.set(data.grantId, remaining.get(data.grantId)!.minus(data.credits));
        }
        for (const [grantId, left] of remaining) if (left.isNegative()) throw new Error(`grant ${grantId} of ${organizationId} went below zero: ${left.toFixed()}`);
      }
    }
    // three runs of billing, two of them killed; the one running now stops cleanly
    expect(running.output('billing').match(/"msg":"billing started"/g)).toHaveLength(3);
    expect(await running.kill('billing', 'SIGTERM')).toEqual({ code: 0, signal: null });
  });
});

function after(a: string, b: string): boolean {
  const [ac, ap] = a.split('/').map(BigInt) as [bigint, bigint];
  const [bc, bp] = b.split('/').map(BigInt) as [bigint, bigint];
  return ac !== bc ? ac > bc : ap > bp;
}

function newEvent(eventId: string, type: string, data: unknown, time: string): NewEvent {
  return { eventId, type, version: 1, data, metadata: { correlationId: eventId, actor: { type: 'service', id: 'usage-metering' }, occurredAt: time } };
}

function recorded(organizationId: string, workspaceId: string, usageId: string, time: string, cost: string): UsageRecordedData {
  return {
    organizationId,
    workspaceId,
    usageId,
    source: 'kill',
    time,
    agent: 'agent',
    provider: 'openai',
    model: 'gpt-kill',
    inputTokens: 1000,
    outputTokens: 10,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
    reasoningOutputTokens: 0,
    responseTimeMs: 10,
    status: 'success',
    cost,
    pricing: { status: 'priced', source: 'workspace', ref: 'p', unitPrices: { input: '0.000000333333333333', output: '0' } },
    receivedAt: time,
    via: 'nats',
  };
}

function corrected(organizationId: string, workspaceId: string, usageId: string, time: string, previousCost: string, cost: string): UsageCorrectedData {
  return {
    organizationId,
    workspaceId,
    usageEventId: usageEventIdFor(workspaceId, 'kill', usageId),
    usageId,
    source: 'kill',
    time,
    agent: 'agent',
    provider: 'openai',
    model: 'gpt-kill',
    previousCost,
    cost,
    delta: new Decimal(cost).minus(previousCost).toFixed(),
    pricing: { status: 'priced', source: 'workspace', ref: 'q', unitPrices: { input: '0.000000111111111111', output: '0' } },
    reason: 're-rated',
    correctedAt: time,
  };
}
