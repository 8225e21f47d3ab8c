/**
 * Billing end to end, every Steward process running (startStack): the account opened for the bootstrap's
 * organization, usage ingested over HTTP and priced by usage-metering turned into credits by the billing
 * service, a low-balance signal, the overdraft limit passed → the organization's workspaces suspended
 * through team-rbac (reason credits_exhausted) and new ingest answered 402, a top-up → restored; the
 * bank statement as JSON and CSV; plan changes; the dashboard's cards only for billing access; the usage
 * statement at the plan's rate; the opening period's prorated fee; the plan catalogue; the billing settings
 * on the cards; manual adjustments (signed) on the ledger with who and why.
 */
import { randomUUID } from 'node:crypto';
import { BillingDecimal, amountText, periodDays, periodOf, remainingDays, usdCents } from '@steward/billing';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient, eventHead } from '../gateway/support/gateway-client';

jest.setTimeout(240_000);

interface Overview {
  opened: boolean;
  plan: { id: string; creditsPerUsd: string };
  scheduledChange: { planId: string } | null;
  credits: { available: string; availableUsd: string; overdraftLimit: string };
  suspended: boolean;
  settings: { timeZone: string; overdraftLimit: string | null; lowBalanceThresholds: string[] };
  currentMonth: { feesUsd: string; usageUsd: string; totalUsd: string };
  trend: { percent: string | null; direction: string; colour: string };
  nextInvoiceDate: string;
}

interface LedgerEntry {
  kind: string;
  credits: string;
  balance: string;
  usd: string | null;
  description: string;
}

describe('billing through the gateway', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let owner: string;
  let billingPath: string;
  let sent = 0;
  /** Credits of the calls the gateway accepted (202): what the ledger must have consumed. */
  let acceptedCredits = 0;

  const overview = () => client.expect<Overview>(200, 'GET', billingPath, { token: owner });
  /** One call of `inputTokens` at 0.01 USD per input token: inputTokens credits at 100 credits per USD. */
  const ingest = async (inputTokens: number) => {
    const answer = await client.call('POST', `/v1/workspaces/${stack.workspaceId}/usage`, {
      token: owner,
      body: { events: [{ id: `call-${sent++}-${randomUUID()}`, source: 'billing-e2e', time: new Date().toISOString(), provider: 'acme', model: 'flat-rate', inputTokens, outputTokens: 0 }] },
    });
    if (answer.status === 202) acceptedCredits += inputTokens;
    return answer;
  };
  const expectedBalance = (granted: number) => String(granted - acceptedCredits);
  const balanceIs = (credits: string) =>
    waitFor(`balance ${credits}`, async () => ((await overview()).credits.available === credits ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
  const workspaceStatus = async (): Promise<string> => {
    const page = await client.expect<{ items: Array<{ id: string; status: string }> }>(200, 'GET', `/v1/organizations/${stack.organizationId}/workspaces`, { token: owner });
    return page.items.find((workspace) => workspace.id === stack.workspaceId)!.status;
  };

  beforeAll(async () => {
    env = await createTestEnv();
    // the default plan catalogue (the harness's own never runs out of credits)
    stack = await startStack(env, { env: { BILLING_SWEEP_INTERVAL_MS: '1000', STEWARD_BILLING_PLANS: '' } });
    client = new GatewayClient(stack.url);
    owner = stack.ownerToken;
    billingPath = `/v1/organizations/${stack.organizationId}/billing`;
    // a price that makes the arithmetic visible: 0.01 USD per input token
    await client.expect(200, 'PUT', `/v1/workspaces/${stack.workspaceId}/models/acme/flat-rate`, {
      token: owner,
      body: { unitPrices: { input: '0.01', output: '0' }, effectiveFrom: new Date(Date.now() - 60_000).toISOString() },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('opens the account on the default plan with its allowance', async () => {
    await waitFor('the account opened', async () => ((await overview()).opened ? true : undefined), { timeoutMs: 60_000 });
    const cards = await overview();
    expect(cards.plan).toMatchObject({ id: 'standard', creditsPerUsd: '100' });
    expect(cards.credits).toEqual({ available: '5000', availableUsd: '50', overdraftLimit: '0' });
    // opened during the month: the fee of the days left of it, counting the day of opening (UTC, the default zone)
    const { rows } = await env.pool.query<{ opened_at: string }>(
      `SELECT data->>'openedAt' AS opened_at FROM steward_events.events WHERE event_type = 'BillingAccountOpened' AND data->>'organizationId' = $1`,
      [stack.organizationId],
    );
    const openedAt = Date.parse(rows[0]!.opened_at);
    const period = periodOf(openedAt, 'UTC');
    const left = remainingDays(openedAt, period, 'UTC');
    expect(cards.currentMonth.feesUsd).toBe(amountText(usdCents(new BillingDecimal(49).times(left).dividedBy(periodDays(period)))));
    expect(cards.settings).toEqual({ timeZone: 'UTC', overdraftLimit: null, lowBalanceThresholds: [] });
    expect(cards.nextInvoiceDate).toMatch(/^\d{4}-\d{2}-01$/);
  });

  it('consumes priced usage, raises the low balance, suspends past the limit (402 on ingest) and restores on a top-up', async () => {
    await client.expect(200, 'PATCH', billingPath, { token: owner, body: { lowBalanceThresholds: ['1000'] } });
    expect((await ingest(4100)).status).toBe(202);
    await balanceIs('900');
    await waitFor('LowCreditBalanceReached', async () => {
      const { rows } = await env.pool.query(`SELECT 1 FROM steward_events.events WHERE event_type = 'LowCreditBalanceReached' AND data->>'organizationId' = $1`, [stack.organizationId]);
      return rows.length === 1 ? true : undefined;
    });

    // past the Standard plan's overdraft limit (0): the workspace is suspended, ingest refused with a 402 problem
    expect((await ingest(1000)).status).toBe(202);
    await balanceIs('-100');
    await waitFor('workspace suspended', async () => ((await workspaceStatus()) === 'suspended' ? true : undefined), { timeoutMs: 60_000 });
    const { rows: reasons } = await env.pool.query<{ reason: string }>(
      `SELECT data->>'reason' AS reason FROM steward_events.events WHERE event_type = 'WorkspaceStatusChanged' AND data->>'workspaceId' = $1 AND data->>'to' = 'suspended'`,
      [stack.workspaceId],
    );
    expect(reasons.map((row) => row.reason)).toEqual(['credits_exhausted']);
    // until the suspension reaches the gateway (its answer is kept a second) calls are still accepted, and consumed
    const refused = await waitFor('ingest refused', async () => {
      const answer = await ingest(1);
      return answer.status === 402 ? answer : undefined;
    });
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 402, type: 'urn:steward:problem:billing-credits-exhausted' });
    expect((refused.body as { detail: string }).detail).toMatch(/credits exhausted/);
    expect((await overview()).suspended).toBe(true);
    // the OpenMeter-compatible route refuses alike
    const cloudEvent = await client.call('POST', '/api/v1/events', {
      token: owner,
      body: { specversion: '1.0', type: 'llm.usage', id: `ce-${randomUUID()}`, source: 'billing-e2e', subject: stack.workspaceId, data: { provider: 'acme', model: 'flat-rate', inputTokens: 1 } },
    });
    expect(cloudEvent.status).toBe(402);
    await balanceIs(expectedBalance(5000));

    // a top-up (retried with the same key: granted once) pays the overdraft back and restores the workspace
    const key = randomUUID();
    const granted = await client.expect<{ grantId: string; balance: string }>(201, 'POST', `${billingPath}/credits`, { token: owner, headers: { 'idempotency-key': key }, body: { credits: '1000' } });
    expect(granted.balance).toBe(expectedBalance(6000));
    const again = await client.expect<{ grantId: string }>(201, 'POST', `${billingPath}/credits`, { token: owner, headers: { 'idempotency-key': key }, body: { credits: '1000' } });
    expect(again.grantId).toBe(granted.grantId);
    await waitFor('workspace active again', async () => ((await workspaceStatus()) === 'active' ? true : undefined), { timeoutMs: 60_000 });
    await waitFor('ingest accepted again', async () => ((await ingest(100)).status === 202 ? true : undefined), { timeoutMs: 10_000 });
    await balanceIs(expectedBalance(6000));
  });

  it('answers the bank statement with a running balance, as JSON pages and as CSV', async () => {
    const page = await client.expect<{ items: LedgerEntry[]; total: number }>(200, 'GET', `${billingPath}/ledger?pageSize=100`, { token: owner });
    const oldestFirst = [...page.items].reverse();
    expect(oldestFirst[0]).toMatchObject({ kind: 'grant', credits: '5000', balance: '5000' });
    let balance = 0;
    for (const entry of oldestFirst) {
      balance += Number(entry.credits);
      expect(Number(entry.balance)).toBeCloseTo(balance, 9);
    }
    expect(oldestFirst[oldestFirst.length - 1]!.balance).toBe(expectedBalance(6000));
    expect(oldestFirst.filter((entry) => entry.kind === 'grant').map((entry) => entry.credits)).toEqual(['5000', '1000']);
    expect(oldestFirst.filter((entry) => entry.kind === 'consumption').reduce((total, entry) => total + Number(entry.usd), 0)).toBeCloseTo(acceptedCredits / 100, 9);

    const csv = await client.call('GET', `${billingPath}/ledger?format=csv`, { token: owner });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('sequence,at,kind,description,credits,usd,balance,id');
    expect(lines).toHaveLength(page.total + 1);
    expect(lines[lines.length - 1]).toContain(`,${expectedBalance(6000)},`);
    const accepted = await client.call('GET', `${billingPath}/ledger`, { token: owner, headers: { accept: 'text/csv' } });
    expect(accepted.text).toBe(csv.text);
  });

  it('upgrades at once with a prorated allowance, schedules a downgrade and withdraws it', async () => {
    const upgraded = await client.expect<Overview>(200, 'PUT', `${billingPath}/plan`, { token: owner, body: { planId: 'premium' } });
    expect(upgraded.plan.id).toBe('premium');
    const page = await client.expect<{ items: Array<LedgerEntry & { details: { grantKind?: string } }> }>(200, 'GET', `${billingPath}/ledger`, { token: owner });
    expect(page.items[0]).toMatchObject({ kind: 'grant', details: expect.objectContaining({ grantKind: 'plan_allowance' }) });
    const scheduled = await client.expect<Overview>(200, 'PUT', `${billingPath}/plan`, { token: owner, body: { planId: 'standard' } });
    expect(scheduled.plan.id).toBe('premium');
    expect(scheduled.scheduledChange?.planId).toBe('standard');
    const withdrawn = await client.expect<Overview>(200, 'PUT', `${billingPath}/plan`, { token: owner, body: { planId: 'premium' } });
    expect(withdrawn.scheduledChange).toBeNull();
    const unknown = await client.call('PUT', `${billingPath}/plan`, { token: owner, body: { planId: 'gold' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('body.planId');
  });

  it('shows the billing cards on the dashboard overview to billing access only', async () => {
    const fixtures = new Fixtures(client);
    const member = await fixtures.newMember(owner, stack.workspaceId, 'member', 'billing-member-view');
    const biller = await fixtures.newMember(owner, stack.workspaceId, 'billing', 'billing-role-view');
    const path = `/v1/organizations/${stack.organizationId}/overview`;
    const ofOwner = await client.expect<{ billing?: Overview }>(200, 'GET', path, { token: owner });
    expect(ofOwner.billing?.plan.id).toBe('premium');
    expect((await client.expect<{ billing?: Overview }>(200, 'GET', path, { token: biller.token })).billing?.credits).toBeDefined();
    expect((await client.expect<{ billing?: Overview }>(200, 'GET', path, { token: member.token })).billing).toBeUndefined();
    // the billing role adds credits; a member may not even read billing
    expect((await client.call('POST', `${billingPath}/credits`, { token: biller.token, body: { credits: '5', kind: 'promotional' } })).status).toBe(201);
    expect((await client.call('GET', billingPath, { token: member.token })).status).toBe(403);
  });

  it('prices the usage statement in credits at the plan rate', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const statement = await client.expect<{ creditsPerUsd: string; totalUsd: string; totalCredits: string }>(200, 'GET', `/v1/usage/statement?workspaceId=${stack.workspaceId}&month=${month}`, { token: owner });
    expect(statement.creditsPerUsd).toBe('100');
    expect(Number(statement.totalCredits)).toBeCloseTo(Number(statement.totalUsd) * 100, 9);
  });

  it('lists the plan catalogue to anyone signed in, not to API keys', async () => {
    const fixtures = new Fixtures(client);
    const viewer = await fixtures.newMember(owner, stack.workspaceId, 'viewer', 'plans-viewer');
    const plans = await client.expect<{ defaultPlanId: string; items: Array<Record<string, unknown>> }>(200, 'GET', '/v1/billing/plans', { token: viewer.token });
    expect(plans.defaultPlanId).toBe('standard');
    expect(plans.items).toEqual([
      { id: 'standard', name: 'Standard', rank: 1, monthlyFeeUsd: '49', creditsPerPeriod: '5000', creditsPerUsd: '100', overdraft: { limit: '0' } },
      { id: 'premium', name: 'Premium', rank: 2, monthlyFeeUsd: '199', creditsPerPeriod: '25000', creditsPerUsd: '100', overdraft: { limit: '5000' } },
      { id: 'enterprise', name: 'Enterprise', rank: 3, monthlyFeeUsd: '999', creditsPerPeriod: '150000', creditsPerUsd: '100', overdraft: { limit: '50000' } },
    ]);
    const key = await fixtures.issueApiKey(owner, stack.workspaceId, ['read'], 'plans key');
    expect((await client.call('GET', '/v1/billing/plans', { token: key.token })).status).toBe(403);
    expect((await client.call('GET', '/v1/billing/plans')).status).toBe(401);
  });

  it('answers the billing settings with the cards, as PATCH changed them', async () => {
    const changed = await client.expect<{ lowBalanceThresholds: string[] }>(200, 'PATCH', billingPath, { token: owner, body: { lowBalanceThresholds: ['250.5', '2000'], overdraftLimit: '300' } });
    expect(changed.lowBalanceThresholds).toEqual(['2000', '250.5']);
    const cards = await overview();
    expect(cards.settings).toEqual({ timeZone: 'UTC', overdraftLimit: '300', lowBalanceThresholds: ['2000', '250.5'] });
    expect(cards.credits.overdraftLimit).toBe('300');
    await client.expect(200, 'PATCH', billingPath, { token: owner, body: { overdraftLimit: null } });
    expect((await overview()).settings.overdraftLimit).toBeNull();
  });

  it('adjusts credits by hand, signed: a debit and a credit on the ledger with who and why, once per Idempotency-Key', async () => {
    const me = await client.expect<{ userId: string }>(200, 'GET', '/v1/me', { token: owner });
    const before = new BillingDecimal((await overview()).credits.available);
    const path = `${billingPath}/credits/adjustments`;
    const key = randomUUID();
    const debit = await client.expect<{ adjustmentId: string; amountCredits: string; balance: string; adjustedBy: string }>(201, 'POST', path, {
      token: owner,
      headers: { 'idempotency-key': key },
      body: { amountCredits: '-250.25', reason: 'Refund of a duplicated batch' },
    });
    expect(debit).toMatchObject({ amountCredits: '-250.25', adjustedBy: me.userId, balance: amountText(before.minus('250.25')) });
    const replay = await client.call('POST', path, { token: owner, headers: { 'idempotency-key': key }, body: { amountCredits: '-250.25', reason: 'Refund of a duplicated batch' } });
    expect([replay.status, (replay.body as { adjustmentId: string }).adjustmentId]).toEqual([201, debit.adjustmentId]);
    const credit = await client.expect<{ amountCredits: string; balance: string }>(201, 'POST', path, { token: owner, body: { amountCredits: '100', reason: 'Goodwill after the outage' } });
    expect(credit.balance).toBe(amountText(before.minus('250.25').plus('100')));

    const page = await client.expect<{ items: Array<{ kind: string; credits: string; description: string; details: Record<string, unknown> }> }>(200, 'GET', `${billingPath}/ledger?pageSize=3`, { token: owner });
    const [latest, previous] = page.items;
    expect(latest).toMatchObject({ kind: 'grant', credits: '100', description: 'Goodwill after the outage', details: expect.objectContaining({ grantKind: 'manual_adjustment', grantedBy: me.userId }) });
    expect(previous).toMatchObject({ kind: 'adjustment', credits: '-250.25', description: 'Refund of a duplicated batch', details: expect.objectContaining({ adjustedBy: me.userId }) });
    expect(page.items.filter((entry) => entry.description === 'Refund of a duplicated batch')).toHaveLength(1);

    // zero, not an exact decimal, no reason: a 400 naming the field, nothing recorded
    const head = await eventHead(env.pool);
    for (const [body, field] of [
      [{ amountCredits: '0', reason: 'nothing' }, 'body.amountCredits'],
      [{ amountCredits: '-0.000', reason: 'nothing' }, 'body.amountCredits'],
      [{ amountCredits: '1e3', reason: 'float' }, 'body.amountCredits'],
      [{ amountCredits: '12.5000000000001', reason: 'too fine' }, 'body.amountCredits'],
      [{ amountCredits: 25, reason: 'a number' }, 'body.amountCredits'],
      [{ amountCredits: '-5' }, 'body.reason'],
      [{ amountCredits: '-5', reason: '' }, 'body.reason'],
    ] as const) {
      const answer = await client.call('POST', path, { token: owner, body });
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect((answer.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain(field);
    }
    expect(await eventHead(env.pool)).toBe(head);
    // admins read billing but do not adjust it
    const admin = await new Fixtures(client).newMember(owner, stack.workspaceId, 'admin', 'adjust-admin');
    expect((await client.call('POST', path, { token: admin.token, body: { amountCredits: '-1', reason: 'no' } })).status).toBe(403);
  });
});
