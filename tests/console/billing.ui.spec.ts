/**
 * The console's billing in Chromium against one running stack (the manual payment provider, the default): the
 * Billing screen (cards, Add Credits, Manage Subscription's plan change form choosing among the API's plans, the
 * ledger as a statement with the API's CSV, a manual adjustment, invoices with their PDF, a manual payment and a
 * void), the Dashboard's Current Billing and Current Plan cards, and Team Settings' Billing & Credits and Billing
 * Configuration with the account's thresholds — each as a role that may (owner, billing) and one that may not
 * (admin reads billing only, member nothing). Every action is done in the browser and its effect read back through
 * the API; axe-core finds no serious or critical violation.
 */
import { readFileSync } from 'node:fs';
import Decimal from 'decimal.js';
import type { Page } from 'playwright-core';
import { ACCESS_RESTRICTED_TITLE, BILLING, NAV, TEAM_SETTINGS, formatDecimal, formatUsd } from '@steward/console';
import { waitFor } from '@steward/testing';
import { draftInvoiceFixture } from '../billing/support/invoice-fixtures';
import type { Person } from '../gateway/support/gateway-client';
import { GatewayClient } from '../gateway/support/gateway-client';
import { type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';

jest.setTimeout(120_000);

describe('billing in the web console', () => {
  let harness: ConsoleHarness;
  let billingPerson: Person;
  let admin: Person;
  let member: Person;
  let invoiceId: string;
  let voidableId: string;

  beforeAll(async () => {
    // the default plan catalogue (test stacks otherwise run one with an unreachable overdraft limit)
    harness = await startConsoleHarness({ stack: { env: { STEWARD_BILLING_PLANS: '' } } });
    const { fixtures, stack } = harness;
    [billingPerson, admin, member] = await Promise.all([
      fixtures.newMember(stack.ownerToken, stack.workspaceId, 'billing', 'console-billing-role'),
      fixtures.newMember(stack.ownerToken, stack.workspaceId, 'admin', 'console-billing-admin'),
      fixtures.newMember(stack.ownerToken, stack.workspaceId, 'member', 'console-billing-member'),
    ]);
    // the account opens with the organization; an issued invoice only comes from a closed period, so one is written as the close job would
    await waitFor('the billing account', async () => ((await billing(stack.ownerToken)).opened ? true : undefined));
    invoiceId = await draftInvoiceFixture(harness.env, new GatewayClient(stack.url), stack.ownerToken, stack.organizationId, '2026-01', true);
    voidableId = await draftInvoiceFixture(harness.env, new GatewayClient(stack.url), stack.ownerToken, stack.organizationId, '2026-02', true, 2);
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
  });

  const orgId = () => harness.stack.organizationId;
  const billingPath = () => `/organizations/${orgId()}/billing`;

  async function billing(token: string) {
    const answer = await harness.api(token).GET('/v1/organizations/{orgId}/billing', { params: { path: { orgId: orgId() } } });
    expect(answer.response.status).toBe(200);
    return answer.data!;
  }

  const expectClean = async (page: Page) => {
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
  };

  it('Billing: the billing role adds credits; the balance and the statement change as the API says; the CSV is the API\'s', async () => {
    const before = await billing(billingPerson.token);
    const page = await harness.open({ token: billingPerson.token, path: billingPath() });
    await page.getByRole('heading', { name: BILLING.title, level: 1 }).waitFor();
    await page.getByRole('link', { name: NAV.billing }).waitFor();
    expect(await page.getByTestId('billing-plan-name').textContent()).toBe(before.plan.name);
    await waitForText(page, 'billing-available-credits', formatDecimal(before.credits.available));

    await page.getByRole('button', { name: BILLING.addCredits }).click();
    const dialog = page.getByRole('dialog', { name: BILLING.addCredits });
    await dialog.getByLabel(BILLING.credits).fill('1234.5');
    await dialog.getByLabel(BILLING.reason).fill('console test');
    await dialog.getByRole('button', { name: BILLING.grant }).click();
    await dialog.waitFor({ state: 'detached' });

    const expected = new Decimal(before.credits.available).plus('1234.5');
    const after = await waitFor('the grant in the read model', async () => {
      const now = await billing(billingPerson.token);
      return new Decimal(now.credits.available).equals(expected) ? now : undefined;
    });
    await waitForText(page, 'billing-available-credits', formatDecimal(after.credits.available));
    const ledger = await harness.api(billingPerson.token).GET('/v1/organizations/{orgId}/billing/ledger', { params: { path: { orgId: orgId() }, query: { page: 1, pageSize: 20 } } });
    const newest = (ledger.data as { items: Array<{ credits: string; balance: string; description: string }> }).items[0]!;
    expect(newest.credits).toBe('1234.5');
    expect(new Decimal(newest.balance).equals(expected)).toBe(true);
    // the statement's newest row: the grant, signed, and the balance after it
    const firstRow = page.getByRole('table', { name: BILLING.ledger }).getByRole('row').nth(1);
    await firstRow.getByText('+1,234.5', { exact: true }).waitFor();
    await firstRow.getByText(formatDecimal(newest.balance), { exact: true }).waitFor();

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: BILLING.exportCsv }).click();
    const csv = readFileSync((await (await download).path())!, 'utf8');
    const fromApi = await fetch(`${harness.stack.url}/v1/organizations/${orgId()}/billing/ledger?format=csv`, { headers: { authorization: `Bearer ${billingPerson.token}` } });
    expect(csv).toBe(await fromApi.text());
    expect(csv).toContain('1234.5');
    await expectClean(page);
    await screenshot(page, 'billing', { docs: true });
  });

  it('Billing: Manage Subscription (manual provider) changes the plan chosen among the API\'s plans — an upgrade now, a downgrade scheduled and withdrawn', async () => {
    const page = await harness.open({ token: harness.stack.ownerToken, path: billingPath() });
    const plans = await new GatewayClient(harness.stack.url).expect<{ items: Array<{ id: string; name: string; monthlyFeeUsd: string; creditsPerPeriod: string }> }>(200, 'GET', '/v1/billing/plans', {
      token: harness.stack.ownerToken,
    });
    const optionOf = (planId: string) => {
      const plan = plans.items.find((candidate) => candidate.id === planId)!;
      return new RegExp(`^${BILLING.planOption(plan.name, formatUsd(plan.monthlyFeeUsd), formatDecimal(plan.creditsPerPeriod)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    };
    const changePlan = async (planId: string) => {
      await page.getByRole('button', { name: BILLING.manageSubscription }).click();
      const dialog = page.getByRole('dialog', { name: BILLING.changePlan });
      await dialog.getByText(BILLING.downgradeExplained).waitFor();
      await dialog.getByRole('combobox', { name: BILLING.planId }).click();
      // the list is the catalogue, every plan with its fee and credits
      const options = page.getByRole('listbox').getByRole('option');
      await options.first().waitFor();
      expect(await options.count()).toBe(plans.items.length);
      await page.getByRole('option', { name: optionOf(planId) }).click();
      await dialog.getByRole('button', { name: BILLING.applyPlan }).click();
      return dialog;
    };

    await (await changePlan('premium')).waitFor({ state: 'detached' });
    await waitFor('the upgrade', async () => ((await billing(harness.stack.ownerToken)).plan.id === 'premium' ? true : undefined));
    await waitForText(page, 'billing-plan-name', 'Premium');

    await (await changePlan('standard')).waitFor({ state: 'detached' });
    const scheduled = await waitFor('the scheduled downgrade', async () => (await billing(harness.stack.ownerToken)).scheduledChange ?? undefined);
    expect(scheduled.planId).toBe('standard');
    expect((await billing(harness.stack.ownerToken)).plan.id).toBe('premium');
    await page.getByText(new RegExp(`^${BILLING.scheduledChange(scheduled.planName, '').replace(/\.$/, '')}`)).waitFor();
    await screenshot(page, 'billing-scheduled-downgrade');
    await page.getByRole('button', { name: BILLING.cancelScheduledChange }).click();
    await waitFor('the downgrade withdrawn', async () => ((await billing(harness.stack.ownerToken)).scheduledChange === null ? true : undefined));
    await page.getByRole('button', { name: BILLING.cancelScheduledChange }).waitFor({ state: 'detached' });
    await expectClean(page);
  });

  it('Billing: the billing role adjusts the balance by hand; the API\'s 400 shows under the field; the statement shows who and why', async () => {
    const before = await billing(billingPerson.token);
    const page = await harness.open({ token: billingPerson.token, path: billingPath() });
    const section = page.getByRole('region', { name: BILLING.adjustment });
    await section.getByLabel(BILLING.adjustmentAmount).fill('0');
    await section.getByLabel(BILLING.adjustmentReason).fill('nothing at all');
    await section.getByRole('button', { name: BILLING.applyAdjustment }).click();
    await section.getByLabel(BILLING.adjustmentAmount).and(page.locator('[aria-invalid="true"]')).waitFor();
    expect((await billing(billingPerson.token)).credits.available).toBe(before.credits.available);

    await section.getByLabel(BILLING.adjustmentAmount).fill('-120.5');
    await section.getByLabel(BILLING.adjustmentReason).fill('Duplicate batch refunded by hand');
    await section.getByRole('button', { name: BILLING.applyAdjustment }).click();
    const expected = new Decimal(before.credits.available).minus('120.5');
    await section.getByText(BILLING.adjusted(formatDecimal('-120.5', { signed: true }), formatDecimal(expected.toString()))).waitFor();
    const ledger = await new GatewayClient(harness.stack.url).expect<{ items: Array<{ kind: string; credits: string; description: string; details: { adjustedBy?: string } }> }>(
      200,
      'GET',
      `/v1/organizations/${orgId()}/billing/ledger?pageSize=1`,
      { token: billingPerson.token },
    );
    expect(ledger.items[0]).toMatchObject({ kind: 'adjustment', credits: '-120.5', description: 'Duplicate batch refunded by hand', details: { adjustedBy: billingPerson.userId } });
    const firstRow = page.getByRole('table', { name: BILLING.ledger }).getByRole('row').nth(1);
    await firstRow.getByText('Duplicate batch refunded by hand', { exact: true }).waitFor();
    await firstRow.getByText(formatDecimal('-120.5', { signed: true }), { exact: true }).waitFor();
    await waitForText(page, 'billing-available-credits', formatDecimal(expected.toString()));
    await expectClean(page);
  });

  it('Billing: an open invoice downloads as a PDF and is paid by a manual payment, which the API shows', async () => {
    const page = await harness.open({ token: billingPerson.token, path: billingPath() });
    const row = page.getByRole('table', { name: BILLING.invoices }).getByRole('row', { name: /INV-FIXTURE-000001/ });
    await row.getByText(BILLING.invoiceStatuses.issued!, { exact: true }).waitFor();

    const download = page.waitForEvent('download');
    await row.getByRole('button', { name: BILLING.downloadPdfOf('INV-FIXTURE-000001') }).click();
    const pdf = readFileSync((await (await download).path())!);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    await row.getByRole('button', { name: BILLING.recordPaymentOf('INV-FIXTURE-000001') }).click();
    const dialog = page.getByRole('dialog', { name: BILLING.paymentTitle('INV-FIXTURE-000001') });
    await dialog.getByLabel(BILLING.amountUsd).fill('48.99');
    await dialog.getByLabel(BILLING.reference).fill('wire-console-1');
    await dialog.getByRole('button', { name: BILLING.save }).click();
    // not the total due: the API names the field and nothing is paid
    await dialog.getByText(/total due/i).first().waitFor();
    await dialog.getByLabel(BILLING.amountUsd).fill('49.00');
    await dialog.getByRole('button', { name: BILLING.save }).click();
    await dialog.waitFor({ state: 'detached' });
    const paid = await waitFor('the invoice paid', async () => {
      const invoice = await harness.api(billingPerson.token).GET('/v1/organizations/{orgId}/billing/invoices/{id}', { params: { path: { orgId: orgId(), id: invoiceId } } });
      return invoice.data?.status === 'paid' ? invoice.data : undefined;
    });
    expect(paid.payment).toEqual({ provider: 'manual', reference: 'wire-console-1' });
    await row.getByText(BILLING.invoiceStatuses.paid!, { exact: true }).waitFor();
    expect(await row.getByRole('button', { name: BILLING.recordPaymentOf('INV-FIXTURE-000001') }).count()).toBe(0);
    await expectClean(page);
  });

  it('Billing: the owner voids an open invoice after confirming with a reason; an admin sees no Void nor adjustment', async () => {
    const adminPage = await harness.open({ token: admin.token, path: billingPath() });
    const adminRow = adminPage.getByRole('table', { name: BILLING.invoices }).getByRole('row', { name: /INV-FIXTURE-000002/ });
    await adminRow.getByText(BILLING.invoiceStatuses.issued!, { exact: true }).waitFor();
    expect(await adminRow.getByRole('button', { name: BILLING.voidInvoiceOf('INV-FIXTURE-000002') }).count()).toBe(0);
    expect(await adminPage.getByRole('region', { name: BILLING.adjustment }).count()).toBe(0);

    const page = await harness.open({ token: harness.stack.ownerToken, path: billingPath() });
    const row = page.getByRole('table', { name: BILLING.invoices }).getByRole('row', { name: /INV-FIXTURE-000002/ });
    await row.getByRole('button', { name: BILLING.voidInvoiceOf('INV-FIXTURE-000002') }).click();
    const dialog = page.getByRole('dialog', { name: BILLING.voidTitle('INV-FIXTURE-000002') });
    await dialog.getByText(BILLING.voidExplained).waitFor();
    // cancelled: nothing happens
    await dialog.getByRole('button', { name: BILLING.cancel }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: BILLING.voidInvoiceOf('INV-FIXTURE-000002') }).click();
    expect(await dialog.getByRole('button', { name: BILLING.confirmVoid }).isDisabled()).toBe(true);
    await dialog.getByLabel(BILLING.voidReason).fill('Billed twice by mistake');
    await expectClean(page);
    await dialog.getByRole('button', { name: BILLING.confirmVoid }).click();
    await dialog.waitFor({ state: 'detached' });
    const voided = await waitFor('the invoice void', async () => {
      const invoice = await new GatewayClient(harness.stack.url).expect<{ status: string; voidReason: string | null }>(200, 'GET', `/v1/organizations/${orgId()}/billing/invoices/${voidableId}`, {
        token: harness.stack.ownerToken,
      });
      return invoice.status === 'void' ? invoice : undefined;
    });
    expect(voided.voidReason).toBe('Billed twice by mistake');
    await row.getByText(BILLING.invoiceStatuses.void!, { exact: true }).waitFor();
    expect(await row.getByRole('button', { name: BILLING.voidInvoiceOf('INV-FIXTURE-000002') }).count()).toBe(0);
    expect(await row.getByRole('button', { name: BILLING.recordPaymentOf('INV-FIXTURE-000002') }).count()).toBe(0);
  });

  it('Dashboard: the billing role sees Current Billing and Current Plan as the API has them; a member sees neither', async () => {
    const page = await harness.open({ token: billingPerson.token, path: `/organizations/${orgId()}/overview` });
    await page.getByRole('heading', { name: BILLING.currentBilling }).waitFor();
    await page.getByRole('heading', { name: BILLING.currentPlan }).waitFor();
    const overview = await harness.api(billingPerson.token).GET('/v1/organizations/{orgId}/overview', { params: { path: { orgId: orgId() } } });
    const cards = overview.data!.billing!;
    await waitForText(page, 'billing-available-credits', formatDecimal(cards.credits.available));
    expect(await page.getByTestId('billing-plan-name').textContent()).toBe(cards.plan.name);
    expect(await page.getByTestId('billing-trend').getAttribute('data-colour')).toBe(cards.trend.colour);
    expect(await page.getByTestId('billing-next-invoice').textContent()).toContain(cards.timeZone);
    await page.getByRole('button', { name: BILLING.addCredits }).waitFor();
    await page.getByRole('button', { name: BILLING.manageSubscription }).waitFor();
    await page.getByRole('link', { name: BILLING.viewPastInvoices }).click();
    await page.waitForURL((url) => url.pathname === billingPath());
    await page.getByRole('heading', { name: BILLING.invoices }).waitFor();
    await expectClean(page);
    await screenshot(page, 'dashboard-billing');

    const memberOverview = await harness.api(member.token).GET('/v1/organizations/{orgId}/overview', { params: { path: { orgId: orgId() } } });
    expect(memberOverview.response.status).toBe(200);
    expect(memberOverview.data!.billing).toBeUndefined();
    const memberPage = await harness.open({ token: member.token, path: `/organizations/${orgId()}/overview` });
    await memberPage.getByRole('heading', { name: 'My Organization' }).waitFor();
    expect(await memberPage.getByRole('heading', { name: BILLING.currentBilling }).count()).toBe(0);
    expect(await memberPage.getByRole('heading', { name: BILLING.currentPlan }).count()).toBe(0);
  });

  it('Billing: a member gets the guide\'s restriction message', async () => {
    const answer = await harness.api(member.token).GET('/v1/organizations/{orgId}/billing', { params: { path: { orgId: orgId() } } });
    expect(answer.response.status).toBe(403);
    const page = await harness.open({ token: member.token, path: billingPath() });
    await page.getByText(ACCESS_RESTRICTED_TITLE).waitFor();
    expect(await page.getByRole('button', { name: BILLING.addCredits }).count()).toBe(0);
    expect(await page.getByRole('table', { name: BILLING.ledger }).count()).toBe(0);
    await expectClean(page);
    await screenshot(page, 'billing-restricted');
  });

  it('Team Settings: the owner sees Billing & Credits and saves the Billing Configuration, which the API shows', async () => {
    const { stack } = harness;
    const page = await harness.open({ token: stack.ownerToken, path: `/organizations/${orgId()}/workspaces/${stack.workspaceId}/team-settings` });
    await page.getByRole('heading', { name: TEAM_SETTINGS.title }).waitFor();
    await page.getByRole('heading', { name: BILLING.billingAndCredits }).waitFor();
    const cards = await billing(stack.ownerToken);
    await waitForText(page, 'team-available-credits', formatDecimal(cards.credits.available));

    const section = page.getByRole('region', { name: BILLING.billingConfiguration });
    expect(await section.getByLabel(BILLING.lowBalanceThresholds).inputValue()).toBe('');
    await section.getByLabel(BILLING.timeZone).fill('Asia/Tokyo');
    await page.getByRole('option', { name: 'Asia/Tokyo', exact: true }).click();
    await section.getByLabel(BILLING.overdraftLimitField).fill('250');
    await section.getByLabel(BILLING.lowBalanceThresholds).fill('1000, 100');
    await section.getByRole('button', { name: BILLING.saveConfiguration }).click();
    await section.getByText(BILLING.configurationSaved).waitFor();
    const saved = await waitFor('the configuration', async () => {
      const now = await billing(stack.ownerToken);
      return now.timeZone === 'Asia/Tokyo' && new Decimal(now.credits.overdraftLimit).equals(250) ? now : undefined;
    });
    expect(saved.timeZone).toBe('Asia/Tokyo');
    expect((saved as { settings?: unknown }).settings).toEqual({ timeZone: 'Asia/Tokyo', overdraftLimit: '250', lowBalanceThresholds: ['1000', '100'] });
    // opened again, the form shows the account's settings; emptied thresholds are cleared
    await page.reload();
    const reopened = page.getByRole('region', { name: BILLING.billingConfiguration });
    expect(await reopened.getByLabel(BILLING.lowBalanceThresholds).inputValue()).toBe('1000, 100');
    expect(await reopened.getByLabel(BILLING.overdraftLimitField).inputValue()).toBe('250');
    await reopened.getByLabel(BILLING.lowBalanceThresholds).fill('');
    await reopened.getByRole('button', { name: BILLING.saveConfiguration }).click();
    await reopened.getByText(BILLING.configurationSaved).waitFor();
    await waitFor('the thresholds cleared', async () => (((await billing(stack.ownerToken)) as { settings?: { lowBalanceThresholds: string[] } }).settings?.lowBalanceThresholds.length === 0 ? true : undefined));
    // a bad limit: the API's 400 names the field and the form shows it
    await reopened.getByLabel(BILLING.overdraftLimitField).fill('-5');
    await reopened.getByRole('button', { name: BILLING.saveConfiguration }).click();
    await reopened.getByLabel(BILLING.overdraftLimitField).and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(new Decimal((await billing(stack.ownerToken)).credits.overdraftLimit).equals(250)).toBe(true);
    await expectClean(page);
    await screenshot(page, 'team-settings-billing');

    // a member has no Team Settings, let alone its billing sections
    const memberPage = await harness.open({ token: member.token, path: `/organizations/${orgId()}/workspaces/${stack.workspaceId}/team-settings` });
    await memberPage.getByText(ACCESS_RESTRICTED_TITLE).waitFor();
    expect(await memberPage.getByRole('heading', { name: BILLING.billingConfiguration }).count()).toBe(0);
  });
});

async function waitForText(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
}
