import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { Kysely, PostgresDialect } from 'kysely';
import { QueueEvents } from 'bullmq';
import { DEFAULT_PLAN_CATALOGUE, InvoiceReadRepository, invoicesProjection, INVOICES_PROJECTION } from '@steward/billing';
import {
  BillingStreams,
  InvoiceStreams,
  TeamStreams,
  UsageRecorded,
  UsageStreams,
  usageEventIdFor,
  type UsageRecordedData,
} from '@steward/contracts';
import { PostgresEventStore, type GlobalPosition, type NewEvent } from '@steward/event-store';
import { createLogger } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { TEAM_PROJECTION, teamReadModelProjections } from '@steward/team-rbac';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { chargebackProjection, CHARGEBACK_PROJECTION } from '@steward/usage-metering';
import { InvoiceQueues } from '@steward/billing';
import { InvoiceCloseJob, InvoiceQueueJobs } from './invoice-close.job';
import { InvoiceCloser, invoiceIdFor } from './invoice-closer';
import { InvoiceCommandRunner } from './invoice-command.runner';

jest.setTimeout(180_000);

const logger = createLogger({ name: 'invoice-closer-test', level: 'silent' });
const KIRITIMATI = 'Pacific/Kiritimati';
const LOS_ANGELES = 'America/Los_Angeles';

describe('closing billing periods (real store, read models, Redis)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let otherStore: PostgresEventStore;
  let host: ProjectionHost;
  let db: Kysely<unknown>;
  let invoices: InvoiceReadRepository;
  const orgK = `org_k${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const orgL = `org_l${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const wsK = `ws_k${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const wsL = `ws_l${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const calls: UsageRecordedData[] = [];
  let now = new Date('2026-04-01T12:00:00Z');

  function event(type: string, data: unknown, at: string): NewEvent {
    return { eventId: randomUUID(), type, version: 1, data, metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'test' }, occurredAt: at } };
  }

  /** The newest event appended (by the test or a closer): what every read model must reach before a close reads them. */
  async function lastWritten(): Promise<GlobalPosition> {
    const { rows } = await env.pool.query<{ stream_id: string }>('SELECT stream_id FROM steward_events.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1');
    const [event] = await store.readStream(rows[0]!.stream_id, { direction: 'backwards', maxCount: 1 });
    return event!.position;
  }

  async function caughtUp(): Promise<void> {
    const position = await lastWritten();
    for (const name of [CHARGEBACK_PROJECTION, INVOICES_PROJECTION, TEAM_PROJECTION]) await host.runner(name).waitForPosition(position, 60_000);
  }

  async function use(organizationId: string, workspaceId: string, time: string, cost: string): Promise<void> {
    const data = UsageRecorded.schema.parse({
      organizationId,
      workspaceId,
      usageId: randomUUID(),
      time,
      source: 'test',
      agent: 'agent-a',
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 1000,
      outputTokens: 100,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
      reasoningOutputTokens: 0,
      responseTimeMs: 100,
      status: 'success',
      cost,
      pricing: { status: 'priced', source: 'catalogue', ref: 'test', unitPrices: { input: '0.0000025', output: '0.00001' } },
      receivedAt: now.toISOString(),
      via: 'http',
    });
    calls.push(data);
    await store.append(UsageStreams.usage(workspaceId, time), [{ ...event('UsageRecorded', data, now.toISOString()), eventId: usageEventIdFor(workspaceId, 'test', data.usageId) }], { expectedRevision: 'any' });
  }

  const closer = (eventStore: PostgresEventStore) =>
    new InvoiceCloser({ store: eventStore, db, runner: new InvoiceCommandRunner({ store: eventStore }), catalogue: DEFAULT_PLAN_CATALOGUE, logger, organizations: async () => [orgK, orgL] });

  const usageSum = (workspaceId: string, from: string, to: string) =>
    calls.filter((call) => call.workspaceId === workspaceId && call.time >= from && call.time < to).reduce((sum, call) => sum.plus(call.cost), new Decimal(0)).toFixed();

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    otherStore = new PostgresEventStore({ pool: env.pool });
    host = new ProjectionHost({ pool: env.pool, store, projections: [...teamReadModelProjections, chargebackProjection, invoicesProjection], meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
    await host.start();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    invoices = new InvoiceReadRepository({ db });
    const opened = '2026-01-10T00:00:00.000Z';
    for (const [org, ws, zone] of [
      [orgK, wsK, KIRITIMATI],
      [orgL, wsL, LOS_ANGELES],
    ] as const) {
      await store.append(
        TeamStreams.organization(org),
        [event('OrganizationCreated', { organizationId: org, name: `Org ${zone}`, ownerUserId: 'usr_owner', ownerEmail: 'owner@example.com', firstWorkspaceId: ws, createdAt: opened }, opened)],
        { expectedRevision: 'no_stream' },
      );
      await store.append(
        TeamStreams.workspace(ws),
        [event('WorkspaceCreated', { organizationId: org, workspaceId: ws, name: 'Main', status: 'provisioning', createdBy: 'usr_owner', createdAt: opened }, opened)],
        { expectedRevision: 'no_stream' },
      );
      await store.append(
        BillingStreams.account(org),
        [
          event('BillingAccountOpened', { organizationId: org, planId: 'standard', timeZone: zone, overdraftLimit: null, lowBalanceThresholds: [], period: '2026-01', openedBy: 'usr_owner', openedAt: opened }, opened),
          event('CreditsGranted', { organizationId: org, grantId: 'promo-1', kind: 'promotional', amount: '1000', priority: 10, repaid: '0', grantedBy: 'usr_owner', reason: 'welcome', grantedAt: opened }, opened),
          event(
            'CreditsConsumed',
            {
              organizationId: org,
              source: { first: '1/1', last: '1/2', events: 2 },
              usd: '0.5',
              creditsPerUsd: '100',
              credits: '50',
              draws: [{ grantId: 'promo-1', credits: '50' }],
              overdraft: '0',
              consumedAt: '2026-03-15T00:00:00.000Z',
            },
            '2026-03-15T00:00:00.000Z',
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
    }
    // Kiritimati (+14): its March is [02-28T10:00Z, 03-31T10:00Z)
    await use(orgK, wsK, '2026-02-28T09:59:00.000Z', '0.11'); // February there
    await use(orgK, wsK, '2026-02-28T10:00:00.000Z', '0.13'); // 1 March, 00:00 there
    await use(orgK, wsK, '2026-03-31T09:59:00.000Z', '0.17');
    await use(orgK, wsK, '2026-03-31T10:00:00.000Z', '0.19'); // April there
    // Los Angeles: its March is [03-01T08:00Z, 04-01T07:00Z), DST from 8 March
    await use(orgL, wsL, '2026-03-01T07:59:00.000Z', '0.23'); // February there
    await use(orgL, wsL, '2026-03-08T12:00:00.000Z', '0.29');
    await use(orgL, wsL, '2026-04-01T06:59:00.000Z', '0.31'); // 23:59 on 31 March, PDT
    await use(orgL, wsL, '2026-04-01T07:00:00.000Z', '0.37'); // April there
    await caughtUp();
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  it('opens each organization’s March draft with exactly its zone’s March usage, once however many closers run', async () => {
    now = new Date('2026-04-01T12:00:00Z');
    await Promise.all([closer(store).close(now), closer(otherStore).close(now), closer(store).close(now)]);
    await caughtUp();
    const k = await invoices.getByPeriod(orgK, '2026-03');
    const l = await invoices.getByPeriod(orgL, '2026-03');
    expect(k).toMatchObject({ status: 'draft', timeZone: KIRITIMATI, periodStart: '2026-02-28T10:00:00.000Z', periodEnd: '2026-03-31T10:00:00.000Z' });
    expect(l).toMatchObject({ status: 'draft', timeZone: LOS_ANGELES, periodStart: '2026-03-01T08:00:00.000Z', periodEnd: '2026-04-01T07:00:00.000Z' });
    const kLines = (await invoices.get(orgK, k!.id))!.lines;
    const lLines = (await invoices.get(orgL, l!.id))!.lines;
    expect(kLines.filter((line) => line.kind === 'usage').map((line) => [line.calls, line.amountUsd])).toEqual([['2', '0.3']]);
    expect(lLines.filter((line) => line.kind === 'usage').map((line) => [line.calls, line.amountUsd])).toEqual([['2', '0.6']]);
    expect(usageSum(wsK, '2026-02-28T10:00', '2026-03-31T10:00')).toBe('0.3');
    // plan fee 49 + usage; the 50 credits the ledger drew in March are applied
    expect(kLines.map((line) => line.kind)).toEqual(['plan_fee', 'usage', 'credits_applied']);
    expect(k).toMatchObject({ subtotalUsd: '49.3', creditsApplied: '50', creditsAppliedUsd: '0.5', totalDueUsd: '48.80' });
    for (const org of [orgK, orgL]) {
      const stream = await store.readStream(InvoiceStreams.invoice(org, '2026-03'));
      expect(stream.map((recorded) => recorded.type)).toEqual(['InvoiceDraftOpened']);
    }
  });

  it('the first run after months without one invoices every ended period since the account opened, oldest first', async () => {
    // the accounts opened on 10 January; the run on 1 April was the first: January and February, past their
    // grace, were issued by it (numbers 1 and 2), before March's draft
    for (const org of [orgK, orgL]) {
      const page = await invoices.list(org, { page: 1, pageSize: 10 });
      expect(page.items.map((item) => [item.period, item.status, item.number?.slice(-6) ?? null])).toEqual([
        ['2026-03', 'draft', null],
        ['2026-02', 'issued', '000002'],
        ['2026-01', 'issued', '000001'],
      ]);
    }
    // Los Angeles' February holds the call at 23:59 on 28 February there: billed on February's invoice
    const february = (await invoices.get(orgL, invoiceIdFor(orgL, '2026-02')))!;
    expect(february.lines.filter((line) => line.kind === 'usage').map((line) => [line.calls, line.amountUsd])).toEqual([['1', '0.23']]);
    expect(february.lines.map((line) => line.kind)).toEqual(['plan_fee', 'usage']);
    // January: the plan fee from the opening day (no usage, no credits drawn yet)
    const january = (await invoices.get(orgK, invoiceIdFor(orgK, '2026-01')))!;
    expect(january.lines.map((line) => line.kind)).toEqual(['plan_fee']);
    expect(january.creditsApplied).toBe('0');
  });

  it('late usage inside the grace period lands on the draft', async () => {
    now = new Date('2026-04-02T12:00:00Z');
    await use(orgL, wsL, '2026-03-20T12:00:00.000Z', '0.41');
    await caughtUp();
    const report = await closer(store).close(now);
    expect(report.refreshed).toBe(1);
    await caughtUp();
    const l = await invoices.getByPeriod(orgL, '2026-03');
    const lines = (await invoices.get(orgL, l!.id))!.lines;
    expect(lines.filter((line) => line.kind === 'usage').map((line) => [line.calls, line.amountUsd])).toEqual([['3', '1.01']]);
  });

  it('two billing workers and a retried close issue one invoice per period, numbered after the earlier periods', async () => {
    now = new Date('2026-04-05T00:00:00Z');
    const connection = { url: env.redisUrl, maxRetriesPerRequest: null };
    const prefix = `${env.redisPrefix}bull`;
    let crashed = false;
    const flaky = closer(otherStore);
    const crashing = {
      close: async (at: Date) => {
        const report = await flaky.close(at);
        // the first run dies after its work is stored: BullMQ runs it again
        if (!crashed) {
          crashed = true;
          throw new Error('worker lost after closing');
        }
        return report;
      },
    } as unknown as InvoiceCloser;
    const jobs = [
      new InvoiceCloseJob({ connection, prefix, closer: crashing, logger, now: () => now, everyMs: 3_600_000, backoffMs: 50 }),
      new InvoiceCloseJob({ connection, prefix, closer: closer(store), logger, now: () => now, everyMs: 3_600_000, backoffMs: 50 }),
    ];
    const events = new QueueEvents(InvoiceQueues.Close, { connection, prefix });
    try {
      await events.waitUntilReady();
      for (const job of jobs) await job.start();
      const queued = await Promise.all([1, 2, 3].map(() => jobs[0]!.queue.add(InvoiceQueueJobs.ClosePeriods, {}, { attempts: 3, backoff: { type: 'fixed', delay: 50 } })));
      await Promise.all(queued.map((job) => job.waitUntilFinished(events, 60_000)));
    } finally {
      for (const job of jobs) await job.close();
      await events.close();
    }
    expect(crashed).toBe(true);
    await caughtUp();
    for (const org of [orgK, orgL]) {
      const stream = await store.readStream(InvoiceStreams.invoice(org, '2026-03'));
      expect(stream.filter((recorded) => recorded.type === 'InvoiceIssued')).toHaveLength(1);
      const numbers = await store.readStream(InvoiceStreams.numbering(org));
      expect(numbers.map((recorded) => (recorded.data as { sequence: number }).sequence)).toEqual([1, 2, 3]);
      const page = await invoices.list(org, { page: 1, pageSize: 10 });
      expect(page.items.map((item) => [item.period, item.status])).toEqual([
        ['2026-03', 'issued'],
        ['2026-02', 'issued'],
        ['2026-01', 'issued'],
      ]);
      expect(page.items[0]!.id).toBe(invoiceIdFor(org, '2026-03'));
      expect(page.items[0]!.number).toMatch(/-000003$/);
    }
  });

  it('usage of an issued period that comes after its invoice goes on the next invoice as an adjustment, never into the issued one', async () => {
    now = new Date('2026-05-01T12:00:00Z');
    await use(orgL, wsL, '2026-03-25T12:00:00.000Z', '0.43');
    await caughtUp();
    await closer(store).close(now);
    await caughtUp();
    const march = (await invoices.get(orgL, invoiceIdFor(orgL, '2026-03')))!;
    expect(march.lines.filter((line) => line.kind === 'usage').map((line) => line.amountUsd)).toEqual(['1.01']);
    const april = (await invoices.get(orgL, invoiceIdFor(orgL, '2026-04')))!;
    expect(april.status).toBe('draft');
    expect(april.lines.filter((line) => line.kind === 'usage').map((line) => [line.calls, line.amountUsd])).toEqual([['1', '0.37']]);
    expect(april.lines.filter((line) => line.kind === 'adjustment').map((line) => [line.adjustsPeriod, line.calls, line.amountUsd])).toEqual([['2026-03', '1', '0.43']]);
    // the March draw was applied on March's invoice: April applies none of it again
    expect(april.creditsApplied).toBe('0');
    // issued in turn, it is number 4; the adjustment is billed once
    now = new Date('2026-05-05T00:00:00Z');
    await closer(store).close(now);
    await caughtUp();
    const issued = (await invoices.get(orgL, invoiceIdFor(orgL, '2026-04')))!;
    expect(issued).toMatchObject({ status: 'issued', number: expect.stringMatching(/-000004$/) });
    now = new Date('2026-06-01T12:00:00Z');
    await closer(store).close(now);
    await caughtUp();
    const may = (await invoices.get(orgL, invoiceIdFor(orgL, '2026-05')))!;
    expect(may.lines.filter((line) => line.kind === 'adjustment')).toEqual([]);
  });

  it('a history sent after the opening with its calls’ earlier times: each earlier month invoiced without a fee, applying its own calls’ credits once', async () => {
    const orgH = `org_h${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const wsH = `ws_h${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const opened = '2026-03-10T00:00:00.000Z';
    await store.append(
      TeamStreams.organization(orgH),
      [event('OrganizationCreated', { organizationId: orgH, name: 'Org history', ownerUserId: 'usr_owner', ownerEmail: 'owner@example.com', firstWorkspaceId: wsH, createdAt: opened }, opened)],
      { expectedRevision: 'no_stream' },
    );
    await store.append(TeamStreams.workspace(wsH), [event('WorkspaceCreated', { organizationId: orgH, workspaceId: wsH, name: 'Main', status: 'provisioning', createdBy: 'usr_owner', createdAt: opened }, opened)], {
      expectedRevision: 'no_stream',
    });
    now = new Date('2026-03-20T00:00:00Z');
    await use(orgH, wsH, '2026-01-20T12:00:00.000Z', '0.4');
    await use(orgH, wsH, '2026-02-20T12:00:00.000Z', '0.6');
    await use(orgH, wsH, '2026-03-15T12:00:00.000Z', '0.2');
    // the consumption reactor's record of them, consumed on 20 March, per billing period of the calls; a later
    // batch brings a late February call (after February's invoice was issued)
    const consumed = (usagePeriod: string, usd: string, credits: string, first: string) =>
      event(
        'CreditsConsumed',
        { organizationId: orgH, source: { first, last: first, events: 1 }, usd, creditsPerUsd: '100', credits, draws: [{ grantId: 'promo-h', credits }], overdraft: '0', consumedAt: '2026-03-20T00:00:00.000Z', usagePeriod },
        '2026-03-20T00:00:00.000Z',
      );
    await store.append(
      BillingStreams.account(orgH),
      [
        event('BillingAccountOpened', { organizationId: orgH, planId: 'standard', timeZone: 'UTC', overdraftLimit: null, lowBalanceThresholds: [], period: '2026-03', openedBy: 'usr_owner', openedAt: opened }, opened),
        event('BillingPeriodStarted', { organizationId: orgH, period: '2026-03', planId: 'standard', feeUsd: '34.77', periodStart: '2026-03-01T00:00:00.000Z', periodEnd: '2026-04-01T00:00:00.000Z', startedAt: opened }, opened),
        event('CreditsGranted', { organizationId: orgH, grantId: 'promo-h', kind: 'promotional', amount: '1000', priority: 10, repaid: '0', grantedBy: 'usr_owner', reason: 'welcome', grantedAt: opened }, opened),
        consumed('2026-01', '0.4', '40', '9/1'),
        consumed('2026-02', '0.6', '60', '9/1'),
        consumed('2026-03', '0.2', '20', '9/1'),
      ],
      { expectedRevision: 'no_stream' },
    );
    await caughtUp();
    const close = (at: Date) => new InvoiceCloser({ store, db, runner: new InvoiceCommandRunner({ store }), catalogue: DEFAULT_PLAN_CATALOGUE, logger, organizations: async () => [orgH] }).close(at);
    await close(new Date('2026-03-20T00:00:00Z'));
    await caughtUp();
    const early = await invoices.list(orgH, { page: 1, pageSize: 10 });
    expect(early.items.map((item) => [item.period, item.status, item.number?.slice(-6) ?? null, item.subtotalUsd, item.creditsApplied, item.totalDueUsd])).toEqual([
      ['2026-02', 'issued', '000002', '0.6', '60', '0.00'],
      ['2026-01', 'issued', '000001', '0.4', '40', '0.00'],
    ]);
    const january = (await invoices.get(orgH, invoiceIdFor(orgH, '2026-01')))!;
    expect(january.lines.map((line) => line.kind)).toEqual(['usage', 'credits_applied']);

    // a February call arrives late, consumed after February's invoice: its usage and its credits go on March's
    await use(orgH, wsH, '2026-02-25T12:00:00.000Z', '0.05');
    await store.append(BillingStreams.account(orgH), [consumed('2026-02', '0.05', '5', '9/2')], { expectedRevision: 'any' });
    await caughtUp();
    await close(new Date('2026-04-05T00:00:00Z'));
    await caughtUp();
    const march = (await invoices.get(orgH, invoiceIdFor(orgH, '2026-03')))!;
    expect(march.status).toBe('issued');
    expect(march.lines.map((line) => [line.kind, line.amountUsd])).toEqual([
      ['proration', '34.77'],
      ['usage', '0.2'],
      ['adjustment', '0.05'],
      ['credits_applied', '-0.25'],
    ]);
    expect(march).toMatchObject({ creditsApplied: '25', totalDueUsd: '34.77' });
    // every credit drawn applied once: 40 + 60 + 25 = the ledger's 125
    const all = (await invoices.list(orgH, { page: 1, pageSize: 10 })).items;
    expect(all.reduce((sum, item) => sum.plus(item.creditsApplied), new Decimal(0)).toFixed()).toBe('125');
  });
});
