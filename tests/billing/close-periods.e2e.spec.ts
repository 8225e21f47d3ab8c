/**
 * POST /v1/ops/billing/close-periods over the whole stack: a platform administrator queues a run of the
 * close job, and the billing worker invoices every ended period of an account that opened months ago and
 * was never closed (its first invoices, oldest first, numbered in period order); a second run issues
 * nothing twice; anyone else is refused with a 403 naming the platform role.
 *
 * An account that opened months ago cannot be made through the public API (a new organization's account
 * opens now): the fixture appends its BillingAccountOpened to the store, as billing would have months ago.
 */
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { InvoiceReadRepository, periodOf, previousPeriod } from '@steward/billing';
import { BillingAccountOpened, BillingStreams, InvoiceStreams } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(240_000);

describe('running the billing close cycle now', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let store: PostgresEventStore;
  let db: Kysely<unknown>;
  let invoices: InvoiceReadRepository;
  const organizationId = `org_close${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  // the 10th of the month three months ago, UTC: three periods have ended since
  const now = new Date();
  const opened = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 10));
  const current = periodOf(now, 'UTC');
  const expected = [previousPeriod(previousPeriod(previousPeriod(current))), previousPeriod(previousPeriod(current)), previousPeriod(current)];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    store = new PostgresEventStore({ pool: env.pool });
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    invoices = new InvoiceReadRepository({ db });
    const at = opened.toISOString();
    const data = BillingAccountOpened.schema.parse({ organizationId, planId: 'standard', timeZone: 'UTC', overdraftLimit: null, lowBalanceThresholds: [], period: periodOf(opened, 'UTC'), openedBy: 'usr_fixture', openedAt: at });
    await store.append(BillingStreams.account(organizationId), [{ eventId: randomUUID(), type: 'BillingAccountOpened', version: 1, data, metadata: { correlationId: randomUUID(), actor: { type: 'system', id: 'test' }, organizationId, occurredAt: at } }], {
      expectedRevision: 'no_stream',
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('is for platform administrators only: an organization admin is refused with a 403 saying so', async () => {
    const admin = await new Fixtures(client).newMember(stack.ownerToken, stack.workspaceId, 'admin', 'close-admin');
    const refused = await client.call('POST', '/v1/ops/billing/close-periods', { token: admin.token, body: {} });
    expect(refused.status).toBe(403);
    expect((refused.body as { detail: string }).detail).toBe('Only a platform administrator may run the billing close cycle now.');
    const bad = await client.call('POST', '/v1/ops/billing/close-periods', { token: stack.ownerToken, body: { now: '2030-01-01' } });
    expect(bad.status).toBe(400);
  });

  it('invoices every ended period since the account opened, oldest first; a second run issues nothing twice', async () => {
    // the scheduled run at the start came before the account: nothing is invoiced until a run is asked for
    expect((await invoices.list(organizationId, { page: 1, pageSize: 10 })).total).toBe(0);
    const queued = await client.expect<{ queue: string; id: string; status: string }>(202, 'POST', '/v1/ops/billing/close-periods', { token: stack.ownerToken, body: {} });
    expect(queued).toMatchObject({ queue: 'billing-invoices', status: 'waiting' });
    // the last period stays a draft while its grace days (3) run
    const lastIssued = now.getTime() >= Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 4);
    const want = expected.map((period, index) => [period, index < 2 || lastIssued ? 'issued' : 'draft']).reverse();
    const page = await waitFor(
      'the invoices of every ended period',
      async () => {
        const list = await invoices.list(organizationId, { page: 1, pageSize: 10 });
        return JSON.stringify(list.items.map((item) => [item.period, item.status])) === JSON.stringify(want) ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    const issued = page.items.filter((item) => item.status === 'issued').reverse();
    expect(issued.map((item) => item.number?.slice(-6))).toEqual(['000001', '000002', '000003'].slice(0, issued.length));
    // the first period: the plan fee from the opening day; no current-period draft (the month has not ended)
    const first = (await invoices.get(organizationId, issued[0]!.id))!;
    expect(first.lines.map((line) => line.kind)).toEqual(['plan_fee']);
    expect(await invoices.getByPeriod(organizationId, current)).toBeUndefined();

    await client.expect(202, 'POST', '/v1/ops/billing/close-periods', { token: stack.ownerToken, body: {} });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const period of expected) {
      const stream = await store.readStream(InvoiceStreams.invoice(organizationId, period));
      expect(stream.filter((recorded) => recorded.type === 'InvoiceIssued').length).toBeLessThanOrEqual(1);
      expect(stream.filter((recorded) => recorded.type === 'InvoiceDraftOpened')).toHaveLength(1);
    }
    const numbers = await store.readStream(InvoiceStreams.numbering(organizationId));
    expect(numbers.map((recorded) => (recorded.data as { sequence: number }).sequence)).toEqual(issued.map((_, index) => index + 1));
  });
});
