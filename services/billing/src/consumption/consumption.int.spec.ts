import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { BillingDecimal, BillingReadRepository, DEFAULT_PLAN_CATALOGUE, billingProjection, sumAmounts } from '@steward/billing';
import { BillingStreams, UsageStreams, usageEventIdFor, type CreditsConsumedData, type UsageCorrectedData, type UsageRecordedData } from '@steward/contracts';
import { PostgresEventStore, type AppendResult, type EventStore, type SubscribeOptions, type SubscribeToSumsOptions } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { AccountStreams } from '../accounts/account-streams';
import { BillingCommandRunner } from '../accounts/billing-command.runner';
import { CONSUMPTION_REACTOR, consumptionReactor } from './consumption.reactor';

/*
 * The consumption reactor against the real event store and projection host:
 * priced usage of two organizations, corrections among it, commands to the
 * same accounts meanwhile; then the reactor's checkpoint is put back to the
 * start (what a SIGKILL between its append and its checkpoint leaves) and the
 * whole history is read again by a fresh instance.
 */
describe('billing consumption reactor (event store, projection host)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let db: Kysely<unknown>;
  let hosts: ProjectionHost[] = [];
  const orgA = `org_${randomUUID().slice(0, 8)}`;
  const orgB = `org_${randomUUID().slice(0, 8)}`;
  const wsA = `ws_${randomUUID().slice(0, 8)}`;
  const wsB = `ws_${randomUUID().slice(0, 8)}`;
  /** What each subscription of the hosts asked the store for. */
  const subscribed: SubscribeOptions[] = [];
  const summed: SubscribeToSumsOptions[] = [];
  /** The last usage append: what the reactor must have passed before the checks. */
  let appended: AppendResult | undefined;
  const costs = new Map<string, string[]>([
    [orgA, []],
    [orgB, []],
  ]);

  function runnerOn(accounts: AccountStreams): BillingCommandRunner {
    return new BillingCommandRunner({ store, accounts, catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: 'UTC', authorize: async () => undefined, maxAttempts: 50 });
  }

  async function startHost(batchSize = 7): Promise<ProjectionHost> {
    const accounts = new AccountStreams(store);
    const watched: EventStore = Object.assign(Object.create(store) as EventStore, {
      subscribeToAll: (options: SubscribeOptions = {}) => {
        subscribed.push(options);
        return store.subscribeToAll(options);
      },
      subscribeToSums: (options: SubscribeToSumsOptions) => {
        summed.push(options);
        return store.subscribeToSums(options);
      },
    });
    const host = new ProjectionHost({
      pool: env.pool,
      store: watched,
      projections: [consumptionReactor({ store, accounts, runner: runnerOn(accounts) }), billingProjection],
      meter: false,
      lockPollIntervalMs: 100,
      batchSize,
    });
    await host.start();
    hosts.push(host);
    return host;
  }

  async function record(organizationId: string, workspaceId: string, n: number, cost: string, time = new Date(Date.UTC(2026, 2, 1 + (n % 3), 12)).toISOString()): Promise<void> {
    const usageId = `call-${n}`;
    const eventId = usageEventIdFor(workspaceId, 'sdk', usageId);
    const data: UsageRecordedData = {
      organizationId,
      workspaceId,
      usageId,
      source: 'sdk',
      time,
      agent: 'bot',
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 10,
      outputTokens: 5,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
      reasoningOutputTokens: 0,
      responseTimeMs: 10,
      status: 'success',
      cost,
      pricing: { status: 'priced', source: 'catalogue', ref: 'cat', unitPrices: { input: '0.0000025', output: '0.00001' } },
      receivedAt: time,
      via: 'http',
    };
    appended = await store.append(UsageStreams.usage(workspaceId, time), [{ eventId, type: 'UsageRecorded', version: 1, data, metadata: { correlationId: eventId, actor: { type: 'service', id: 'usage-metering' }, occurredAt: time } }], {
      expectedRevision: 'any',
    });
    costs.get(organizationId)!.push(cost);
  }

  async function correct(organizationId: string, workspaceId: string, n: number, previousCost: string, cost: string): Promise<void> {
    const usageId = `call-${n}`;
    const time = new Date(Date.UTC(2026, 2, 1 + (n % 3), 12)).toISOString();
    const delta = new BillingDecimal(cost).minus(previousCost).toFixed();
    const data: UsageCorrectedData = {
      organizationId,
      workspaceId,
      usageEventId: usageEventIdFor(workspaceId, 'sdk', usageId),
      usageId,
      source: 'sdk',
      time,
      agent: 'bot',
      provider: 'openai',
      model: 'gpt-4o',
      previousCost,
      cost,
      delta,
      pricing: { status: 'priced', source: 'workspace', ref: 'ws', unitPrices: { input: '0.000001', output: '0.000002' } },
      reason: 're-rated',
      correctedAt: time,
    };
    const eventId = randomUUID();
    appended = await store.append(UsageStreams.usage(workspaceId, time), [{ eventId, type: 'UsageCorrected', version: 1, data, metadata: { correlationId: eventId, actor: { type: 'service', id: 'usage-metering' }, occurredAt: time } }], {
      expectedRevision: 'any',
    });
    costs.get(organizationId)!.push(delta);
  }

  async function consumed(organizationId: string): Promise<CreditsConsumedData[]> {
    const events = await store.readStream(BillingStreams.account(organizationId));
    return events.filter((event) => event.type === 'CreditsConsumed').map((event) => event.data as CreditsConsumedData);
  }

  /**
   * Waits for the reactor to pass the last usage appended, by its own position: the store's head can
   * still be short of it while another writer's transaction that began earlier is open (the visibility
   * horizon), and waiting for that head alone let the checks run before the last batch was consumed.
   */
  async function caughtUp(host: ProjectionHost): Promise<void> {
    await host.runner(CONSUMPTION_REACTOR).waitForPosition(appended!.position, 30_000);
    await host.runner('billing').waitForPosition(await store.headPosition(), 30_000);
  }

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, connectionString: env.databaseUrl });
    await store.migrate();
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  });

  afterAll(async () => {
    for (const host of hosts) await host.stop();
    await store?.close();
    await env?.dispose();
  });

  it('consumes Σ priced usage × credits per USD exactly, per organization, drawn on its grants, and counts nothing twice on replay', async () => {
    const host = await startHost();
    const runner = runnerOn(new AccountStreams(store));
    const tiny = ['0.0000025', '0.000000333333333333', '1.1', '0.3', '0.1', '12.000000000001', '0.015'];
    for (let n = 0; n < 40; n++) {
      await record(orgA, wsA, n, tiny[n % tiny.length]!);
      if (n % 3 === 0) await record(orgB, wsB, n, tiny[(n + 2) % tiny.length]!);
      // a command on the same account meanwhile: the reactor's appends meet it at the expected revision
      if (n === 10) {
        await runner.execute('GrantCredits', {
          commandId: randomUUID(),
          type: 'GrantCredits',
          actor: { type: 'system', id: 'test' },
          issuedAt: new Date().toISOString(),
          payload: { organizationId: orgA, grantId: 'bought-1', kind: 'purchase', amount: '250', reason: 'top-up' },
        });
      }
    }
    await correct(orgA, wsA, 2, '1.1', '0.2');
    await correct(orgA, wsA, 5, '12.000000000001', '12.5');
    await caughtUp(host);

    const read = new BillingReadRepository(db);
    for (const organizationId of [orgA, orgB]) {
      const batches = await consumed(organizationId);
      const expectedUsd = sumAmounts(costs.get(organizationId)!);
      expect(sumAmounts(batches.map((batch) => batch.usd))).toBe(expectedUsd);
      expect(sumAmounts(batches.map((batch) => batch.credits))).toBe(new BillingDecimal(expectedUsd).times(100).toFixed());
      expect(batches.every((batch) => batch.creditsPerUsd === '100')).toBe(true);
      // every batch: draws + overdraft = its credits
      for (const batch of batches) expect(sumAmounts([...batch.draws.map((draw) => draw.credits), batch.overdraft])).toBe(batch.credits);
      // the ranges never overlap: each starts after the one before ended
      expect(sumAmounts(batches.map((batch) => String(batch.source.events)))).toBe(String(costs.get(organizationId)!.length));
    }
    const granted = (organizationId: string) => (organizationId === orgA ? '5250' : '5000');
    for (const organizationId of [orgA, orgB]) {
      const usd = sumAmounts(costs.get(organizationId)!);
      const expected = new BillingDecimal(granted(organizationId)).minus(new BillingDecimal(usd).times(100)).toFixed();
      // the read model follows the store (an append may become visible to readers a moment after it committed)
      const balance = await waitFor(`${organizationId} balance in the read model`, async () => {
        const account = await read.account(organizationId);
        return account?.balance === expected ? account.balance : undefined;
      }, { timeoutMs: 20_000 }).catch(async () => (await read.account(organizationId))?.balance);
      expect(balance).toBe(expected);
      // no grant below zero
      const below = await sql<{ count: string }>`SELECT count(*) FROM rm_billing.grants WHERE organization_id = ${organizationId} AND remaining < 0`.execute(db);
      expect(below.rows[0]!.count).toBe('0');
    }
    const before = { a: (await consumed(orgA)).length, b: (await consumed(orgB)).length };

    // a crash after the appends and before any checkpoint: the reactor folds everything again, in one batch
    // this time, whose group for orgA straddles what orgA consumed already (only what lies after it counts)
    await host.stop();
    hosts = hosts.filter((candidate) => candidate !== host);
    await sql`UPDATE steward_projections.checkpoints SET commit_position = 0, prepare_position = 0 WHERE name = ${CONSUMPTION_REACTOR}`.execute(db);
    for (let n = 40; n < 45; n++) await record(orgA, wsA, n, '0.25');
    const again = await startHost(1000);
    await caughtUp(again);
    const after = await consumed(orgA);
    // only the five new calls are consumed (in one batch or two, as the reads fall)
    const fresh = after.slice(before.a);
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(sumAmounts(fresh.map((batch) => batch.usd))).toBe('1.25');
    expect(sumAmounts(fresh.map((batch) => batch.credits))).toBe('125');
    expect(fresh.reduce((total, batch) => total + batch.source.events, 0)).toBe(5);
    expect((await consumed(orgB)).length).toBe(before.b);
    expect(sumAmounts(after.map((batch) => batch.usd))).toBe(sumAmounts(costs.get(orgA)!));
    // the reactor never reads usage events: the store adds them up per organization; the billing read model reads whole events
    expect(subscribed.filter((options) => options.filter?.eventTypes?.includes('UsageRecorded'))).toEqual([]);
    expect(summed.length).toBeGreaterThanOrEqual(2);
    expect(summed.map((options) => [options.groupBy, options.sum, options.span, options.filter?.eventTypes, options.maxCount])).toEqual([
      ['organizationId', { UsageRecorded: 'cost', UsageCorrected: 'delta' }, 'time', ['UsageRecorded', 'UsageCorrected'], 7],
      ...summed.slice(1).map(() => ['organizationId', { UsageRecorded: 'cost', UsageCorrected: 'delta' }, 'time', ['UsageRecorded', 'UsageCorrected'], 1000]),
    ]);
    expect(subscribed.filter((options) => options.filter?.eventTypes?.includes('CreditsConsumed')).every((options) => options.withoutMetadata === undefined && options.dataFields === undefined)).toBe(true);
  });

  it('splits a batch whose calls span billing periods by period, exactly (the store\'s sum read again event by event)', async () => {
    const host = hosts[0] ?? (await startHost());
    const orgC = `org_${randomUUID().slice(0, 8)}`;
    const wsC = `ws_${randomUUID().slice(0, 8)}`;
    costs.set(orgC, []);
    // backdated usage over three months, one batch or a few: each CreditsConsumed names its calls' period
    const months: Array<[string, string]> = [
      ['2026-01-31T23:59:59.999Z', '0.000000333333333333'],
      ['2026-02-01T00:00:00.000Z', '1.1'],
      ['2026-03-15T08:00:00.000Z', '0.3'],
      ['2026-02-14T12:00:00.000Z', '12.000000000001'],
      ['2026-01-02T00:00:00.000Z', '0.015'],
    ];
    for (const [n, [time, cost]] of months.entries()) await record(orgC, wsC, 100 + n, cost, time);
    await caughtUp(host);
    const batches = await consumed(orgC);
    expect(sumAmounts(batches.map((batch) => batch.usd))).toBe(sumAmounts(costs.get(orgC)!));
    const byPeriod = new Map<string, string[]>();
    for (const batch of batches) byPeriod.set(batch.usagePeriod ?? 'none', [...(byPeriod.get(batch.usagePeriod ?? 'none') ?? []), batch.usd]);
    expect([...byPeriod].map(([period, usd]) => [period, sumAmounts(usd)]).sort()).toEqual([
      ['2026-01', '0.015000333333333333'],
      ['2026-02', '13.100000000001'],
      ['2026-03', '0.3'],
    ]);
  });
});
