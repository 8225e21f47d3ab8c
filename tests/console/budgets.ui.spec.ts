/**
 * Issue 15's console screens in Chromium against one running stack: Budgets (defined and its thresholds changed
 * in the browser, a refused limit shown on its field, read-only for a member), Usage Analytics' Budget Alerts
 * (usage sent with an API key crosses a threshold; the alert shows with its budget and threshold), and
 * Notification Channels (a webhook to a local receiver, allow-listed by NOTIFICATIONS_WEBHOOK_ALLOWLIST: its
 * whsec_ secret shown once and verifying the deliveries' signatures, a test, the delivery log, Resend; a member
 * is refused). Every effect is read back through the API; axe-core finds no serious or critical violation.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { ACCESS_RESTRICTED_TITLE, BUDGETS, BUDGET_ALERTS, NAV, NOTIFICATIONS } from '@steward/console';
import { waitFor } from '@steward/testing';
import type { Person } from '../gateway/support/gateway-client';
import { GatewayClient } from '../gateway/support/gateway-client';
import { type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';

jest.setTimeout(120_000);

interface Budget {
  id: string;
  name: string;
  limitUsd: string;
  thresholds: number[];
  enforcement: string;
  scope: Record<string, string>;
  current: { spendUsd: string };
}
interface Alert {
  type: string;
  budget: { id: string; name: string } | null;
  thresholdPercent: number | null;
  spendUsd: string | null;
}
interface Attempt {
  round: number;
  attempt: number;
  statusCode: number | null;
}
interface Message {
  round: number;
  status: string;
  lastStatusCode: number | null;
  attempts: Attempt[];
}
const attemptText = (attempt: Attempt) => new RegExp(`^${NOTIFICATIONS.attempt(attempt.round, attempt.attempt)}: ${attempt.statusCode} · `);
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('budgets, budget alerts and notification channels in the web console', () => {
  let harness: ConsoleHarness;
  let client: GatewayClient;
  let member: Person;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/steward`;
    harness = await startConsoleHarness({ stack: { env: { NOTIFICATIONS_WEBHOOK_ALLOWLIST: '127.0.0.1' } } });
    client = new GatewayClient(harness.stack.url);
    member = await harness.fixtures.newMember(harness.stack.ownerToken, harness.stack.workspaceId, 'member', 'console-budgets-member');
    // 0.01 USD per input token: a call of n tokens costs n cents
    await client.expect(200, 'PUT', `/v1/workspaces/${ws()}/models/acme/flat-rate`, {
      token: owner(),
      body: { unitPrices: { input: '0.01', output: '0' }, effectiveFrom: new Date(Date.now() - 60_000).toISOString() },
    });
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const owner = () => harness.stack.ownerToken;
  const ws = () => harness.stack.workspaceId;
  const orgId = () => harness.stack.organizationId;
  const budgetsPath = () => `/organizations/${orgId()}/workspaces/${ws()}/budgets`;
  const budgets = async (token = owner()) => (await client.expect<{ items: Budget[] }>(200, 'GET', `/v1/workspaces/${ws()}/budgets`, { token })).items;
  const expectClean = async (page: Page) => {
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
  };
  const NAME = 'Researcher monthly';

  it('Budgets: the owner defines a budget in the browser (a refused limit shows on its field) and sees it listed with its spend', async () => {
    const page = await harness.open({ token: owner(), path: budgetsPath() });
    await page.getByRole('heading', { name: BUDGETS.title, level: 1 }).waitFor();
    await page.getByRole('link', { name: NAV.budgets }).waitFor();
    await page.getByRole('button', { name: BUDGETS.addBudget }).click();
    const dialog = page.getByRole('dialog', { name: BUDGETS.createTitle });
    await dialog.getByLabel(BUDGETS.name).fill(NAME);
    await dialog.getByLabel(BUDGETS.scope).selectOption('agent');
    await dialog.getByLabel(BUDGETS.agent).fill('researcher');
    await dialog.getByLabel(BUDGETS.period).selectOption('monthly');
    await dialog.getByLabel(BUDGETS.limitUsd).fill('0');
    await dialog.getByLabel(BUDGETS.thresholds).fill('50, 100');
    await dialog.getByRole('radio', { name: BUDGETS.enforcements.notify }).check();
    await dialog.getByRole('button', { name: BUDGETS.save }).click();
    // the API's 400 names body.limitUsd: shown on the field, nothing defined
    await dialog.getByLabel(BUDGETS.limitUsd).and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(await budgets()).toEqual([]);
    await expectClean(page);

    await dialog.getByLabel(BUDGETS.limitUsd).fill('1.00');
    await dialog.getByRole('button', { name: BUDGETS.save }).click();
    await dialog.waitFor({ state: 'detached' });
    const [created] = await budgets();
    expect(created).toMatchObject({ name: NAME, limitUsd: '1', thresholds: [50, 100], enforcement: 'notify', scope: { agent: 'researcher' } });
    const row = page.getByTestId(`budget-${created!.id}`);
    await row.getByText(NAME, { exact: true }).waitFor();
    await row.getByText('50%, 100%', { exact: true }).waitFor();
    await page.getByTestId(`budget-spend-${created!.id}`).getByText(BUDGETS.spendOf('$0.00', '$1.00')).waitFor();
    await expectClean(page);
    await screenshot(page, 'budgets', { docs: true });
  });

  it('Budgets: the owner edits the thresholds; a member sees the budget read-only', async () => {
    const [budget] = await budgets();
    const page = await harness.open({ token: owner(), path: budgetsPath() });
    await page.getByRole('button', { name: BUDGETS.edit(NAME) }).click();
    const dialog = page.getByRole('dialog', { name: BUDGETS.edit(NAME) });
    expect(await dialog.getByLabel(BUDGETS.limitUsd).inputValue()).toBe('1');
    expect(await dialog.getByLabel(BUDGETS.thresholds).inputValue()).toBe('50, 100');
    await dialog.getByLabel(BUDGETS.thresholds).fill('40, 90');
    await expectClean(page);
    await dialog.getByRole('button', { name: BUDGETS.save }).click();
    await dialog.waitFor({ state: 'detached' });
    const changed = (await budgets()).find((candidate) => candidate.id === budget!.id)!;
    expect(changed).toMatchObject({ thresholds: [40, 90], limitUsd: '1', name: NAME });
    await page.getByTestId(`budget-${budget!.id}`).getByText('40%, 90%', { exact: true }).waitFor();

    const memberPage = await harness.open({ token: member.token, path: budgetsPath() });
    await memberPage.getByTestId(`budget-${budget!.id}`).getByText(NAME, { exact: true }).waitFor();
    await memberPage.getByText(BUDGETS.readOnly).waitFor();
    expect(await memberPage.getByRole('button', { name: BUDGETS.addBudget }).count()).toBe(0);
    expect(await memberPage.getByRole('button', { name: BUDGETS.edit(NAME) }).count()).toBe(0);
    expect(await memberPage.getByRole('button', { name: BUDGETS.deleteOf(NAME) }).count()).toBe(0);
    // and the API refuses the member's change
    expect((await client.call('PATCH', `/v1/workspaces/${ws()}/budgets/${budget!.id}`, { token: member.token, body: { thresholds: [10] } })).status).toBe(403);
    await expectClean(memberPage);
    await screenshot(memberPage, 'budgets-read-only');
  });

  it('Usage Analytics: usage sent with an API key crosses a threshold; the alert shows under Budget Alerts', async () => {
    const [budget] = await budgets();
    const key = await harness.fixtures.issueApiKey(owner(), ws(), ['usage:write'], 'console-budgets-agent');
    // 50 tokens: 0.50 USD of a 1 USD budget, past 40 %
    await client.expect(202, 'POST', `/v1/workspaces/${ws()}/usage`, {
      token: key.token,
      body: { events: [{ id: `call-${randomUUID()}`, source: 'console-budgets', time: new Date().toISOString(), agent: 'researcher', provider: 'acme', model: 'flat-rate', inputTokens: 50, outputTokens: 0 }] },
    });
    const alert = await waitFor(
      'the threshold alert',
      async () => {
        const page = await client.expect<{ items: Alert[] }>(200, 'GET', `/v1/budget-alerts?workspaceId=${ws()}&period=7d`, { token: owner() });
        return page.items.find((candidate) => candidate.budget?.id === budget!.id);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(alert).toMatchObject({ type: 'budget_threshold', thresholdPercent: 40, spendUsd: '0.5' });

    const page = await harness.open({ token: member.token, path: `/organizations/${orgId()}/workspaces/${ws()}/chargeback?period=7d` });
    const section = page.getByRole('region', { name: BUDGET_ALERTS.title }).first();
    const row = section.getByRole('table', { name: BUDGET_ALERTS.title }).getByRole('row', { name: new RegExp(NAME) });
    await row.getByText(BUDGET_ALERTS.types.budget_threshold!, { exact: true }).waitFor();
    await row.getByText('40%', { exact: true }).waitFor();
    await row.getByText('$0.50 / $1.00', { exact: true }).waitFor();
    await section.getByRole('link', { name: BUDGET_ALERTS.reviewBudgets }).waitFor();
    await section.scrollIntoViewIfNeeded();
    // the budget's spend in the Budgets list moved too
    const budgetsPage = await harness.open({ token: owner(), path: budgetsPath() });
    await budgetsPage.getByTestId(`budget-spend-${budget!.id}`).getByText(BUDGETS.spendOf('$0.50', '$1.00')).waitFor();
    await expectClean(page);
    await screenshot(page, 'usage-analytics-budget-alerts');
  });

  it('Notification Channels: a webhook to a local receiver — its secret once, a test delivered and signed, the delivery log, Resend', async () => {
    const path = `/organizations/${orgId()}/notification-channels`;
    const page = await harness.open({ token: owner(), path });
    await page.getByRole('heading', { name: NOTIFICATIONS.title, level: 1 }).waitFor();
    await page.getByRole('button', { name: NOTIFICATIONS.addChannel }).click();
    const dialog = page.getByRole('dialog', { name: NOTIFICATIONS.createTitle });
    await dialog.getByLabel(NOTIFICATIONS.name).fill('Ops webhook');
    await dialog.getByLabel(NOTIFICATIONS.kind).selectOption('webhook');
    await dialog.getByLabel(NOTIFICATIONS.url).fill(receiverUrl);
    await dialog.getByRole('checkbox', { name: NOTIFICATIONS.eventTypes.InvoiceIssued! }).check();
    await dialog.getByRole('button', { name: NOTIFICATIONS.create }).click();
    const secretDialog = page.getByRole('dialog', { name: `${NOTIFICATIONS.secretTitle}: Ops webhook` });
    await secretDialog.getByRole('button', { name: NOTIFICATIONS.copySecret }).waitFor();
    const secret = await secretDialog.getByTestId('channel-secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expectClean(page);
    await secretDialog.getByRole('button', { name: NOTIFICATIONS.close }).click();
    await secretDialog.waitFor({ state: 'detached' });

    const channels = await client.expect<{ items: Array<{ id: string; name: string; url: string; events: string[]; secretHint: string; enabled: boolean; workspaceId: string | null }> }>(
      200,
      'GET',
      `/v1/organizations/${orgId()}/notification-channels`,
      { token: owner() },
    );
    const channel = channels.items.find((candidate) => candidate.name === 'Ops webhook')!;
    expect(channel).toMatchObject({ url: receiverUrl, enabled: true, workspaceId: null });
    expect(channel.events.sort()).toEqual(['BudgetThresholdCrossed', 'InvoiceIssued', 'LowCreditBalanceReached']);
    // the secret is never shown again: the list has only its hint
    const row = page.getByTestId(`channel-${channel.id}`);
    await row.getByText(channel.secretHint, { exact: true }).waitFor();
    expect(await page.getByText(secret).count()).toBe(0);

    await row.getByRole('button', { name: NOTIFICATIONS.testOf('Ops webhook') }).click();
    const test = await waitFor('the test at the receiver', async () => received.find((request) => request.body.includes('NotificationTest')), { timeoutMs: 60_000, intervalMs: 200 });
    const id = String(test.headers['webhook-id']);
    const signature = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`${id}.${String(test.headers['webhook-timestamp'])}.${test.body}`)
      .digest('base64');
    expect(String(test.headers['webhook-signature']).split(' ')).toContain(`v1,${signature}`);

    await row.getByRole('button', { name: NOTIFICATIONS.deliveriesOf('Ops webhook') }).click();
    const log = page.getByRole('dialog', { name: NOTIFICATIONS.deliveriesOf('Ops webhook') });
    const delivery = log.getByTestId(`delivery-${id}`);
    await delivery.getByText(NOTIFICATIONS.statuses.delivered!, { exact: true }).waitFor({ timeout: 30_000 });
    await delivery.getByText('200', { exact: true }).waitFor();
    // every attempt as the API has it: round, attempt, status code
    const first = await client.expect<Message>(200, 'GET', `/v1/organizations/${orgId()}/notification-deliveries/${id}`, { token: owner() });
    expect(first).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
    expect(first.attempts).toHaveLength(1);
    await delivery.getByText(attemptText(first.attempts[0]!)).waitFor();
    await expectClean(page);
    await screenshot(page, 'notification-delivery-log');

    await delivery.getByRole('button', { name: NOTIFICATIONS.resendOf(id) }).click();
    await waitFor('the resend at the receiver', async () => (received.filter((request) => request.headers['webhook-id'] === id).length === 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    const message = await waitFor(
      'the second round delivered',
      async () => {
        const now = await client.expect<Message>(200, 'GET', `/v1/organizations/${orgId()}/notification-deliveries/${id}`, { token: owner() });
        return now.attempts.length === 2 && now.status === 'delivered' ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(message.round).toBe(first.round + 1);
    await delivery.getByText(attemptText(message.attempts.find((attempt) => attempt.round === message.round)!)).waitFor({ timeout: 30_000 });
    await log.getByRole('button', { name: NOTIFICATIONS.close }).click();
    await log.waitFor({ state: 'detached' });
    await screenshot(page, 'notification-channels', { docs: true });

    // Rotate secret: a new one, shown once
    await row.getByRole('button', { name: NOTIFICATIONS.rotateOf('Ops webhook') }).click();
    const rotated = page.getByRole('dialog', { name: `${NOTIFICATIONS.secretTitle}: Ops webhook` });
    const next = await rotated.getByTestId('channel-secret').inputValue();
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    await rotated.getByRole('button', { name: NOTIFICATIONS.close }).click();
    await rotated.waitFor({ state: 'detached' });

    // Disable: no test can be sent; Enable again
    const enabled = async () => (await client.expect<{ enabled: boolean }>(200, 'GET', `/v1/organizations/${orgId()}/notification-channels/${channel.id}`, { token: owner() })).enabled;
    await row.getByRole('button', { name: NOTIFICATIONS.disableOf('Ops webhook') }).click();
    await row.getByRole('button', { name: NOTIFICATIONS.enableOf('Ops webhook') }).waitFor();
    expect(await enabled()).toBe(false);
    expect(await row.getByRole('button', { name: NOTIFICATIONS.testOf('Ops webhook') }).isDisabled()).toBe(true);
    await row.getByRole('button', { name: NOTIFICATIONS.enableOf('Ops webhook') }).click();
    await row.getByRole('button', { name: NOTIFICATIONS.disableOf('Ops webhook') }).waitFor();
    expect(await enabled()).toBe(true);
    await expectClean(page);

    // a member may not manage notifications
    const memberPage = await harness.open({ token: member.token, path });
    await memberPage.getByText(ACCESS_RESTRICTED_TITLE).waitFor();
    expect(await memberPage.getByRole('button', { name: NOTIFICATIONS.addChannel }).count()).toBe(0);
    await expectClean(memberPage);
  });

  it('Budgets: the owner deletes the budget after confirming', async () => {
    const [budget] = await budgets();
    const page = await harness.open({ token: owner(), path: budgetsPath() });
    await page.getByRole('button', { name: BUDGETS.deleteOf(NAME) }).click();
    const dialog = page.getByRole('dialog', { name: BUDGETS.deleteTitle(NAME) });
    await dialog.getByRole('button', { name: BUDGETS.cancel }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await budgets()).map((candidate) => candidate.id)).toEqual([budget!.id]);
    await page.getByRole('button', { name: BUDGETS.deleteOf(NAME) }).click();
    await dialog.getByRole('button', { name: BUDGETS.confirmDelete }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await budgets()).toEqual([]);
    await page.getByText(BUDGETS.empty).waitFor();
  });
});
