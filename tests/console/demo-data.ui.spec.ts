/**
 * The console on the demo data set: a fresh stack (the default plan catalogue, as `npm start` runs), the demo
 * loaded by the same program `npm run demo` runs (tools/demo.ts, a child process, `--json`), then every screen of
 * the console opened in Chromium as the demo's owner, each showing the demo's content rather than its empty
 * state: the dashboard, activity logs, billing (the invoices the close cycle issued, one paid), notification
 * channels, team settings, job history, usage analytics (chargeback and budget alerts), budgets, runtime
 * environments, model settings, announcements and ops. (API keys have no console screen: the demo's e2e test
 * lists them through the API.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ACTIVITY_LOGS, ANNOUNCEMENTS, BILLING, BUDGET_ALERTS, BUDGETS, DASHBOARD, JOB_HISTORY, MODEL_SETTINGS, NOTIFICATIONS, OPS, RUNTIMES, STATES, TEAM_SETTINGS, USAGE_ANALYTICS } from '@steward/console';
import { startChild } from '@steward/testing';
import { type ConsoleHarness, policyViolations, screenshot, startConsoleHarness } from './support/console-harness';

jest.setTimeout(180_000);

interface DemoResult {
  organizationId: string;
  workspaces: { production: string; research: string; support: string };
  notices: string[];
}

describe('the console on the demo data', () => {
  let harness: ConsoleHarness;
  let demo: DemoResult;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'steward-demo-ui-'));
    harness = await startConsoleHarness({ stack: { env: { STEWARD_BILLING_PLANS: '' } } });
    const { stack } = harness;
    const child = startChild('demo', 'tools/demo.ts', { ...stack.childEnv }, ['--url', stack.url, '--token', stack.ownerToken, '--state', join(stateDir, 'demo.json'), '--json']);
    const { code } = await child.exited;
    if (code !== 0) throw new Error(`the demo loader failed (${code}):\n${child.output}`);
    demo = JSON.parse(child.output.split('\n').find((line) => line.startsWith('{'))!) as DemoResult;
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const org = (screen: string) => `/organizations/${demo.organizationId}/${screen}`;
  const workspace = (screen: string, key: keyof DemoResult['workspaces'] = 'production') => `/organizations/${demo.organizationId}/workspaces/${demo.workspaces[key]}/${screen}`;

  /** Opens `path` as the demo's owner, waits for its level-1 heading, and checks it shows no error. */
  async function open(path: string, title: string): Promise<Page> {
    const page = await harness.open({ token: harness.stack.ownerToken, path });
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    return page;
  }

  /** The screen shows none of `texts` (its empty states, an error) once it has loaded. */
  async function expectAbsent(page: Page, texts: readonly string[]): Promise<void> {
    for (const text of [...texts, STATES.error]) expect({ text, shown: await page.getByText(text, { exact: true }).count() }).toEqual({ text, shown: 0 });
  }

  async function visible(locator: Locator): Promise<void> {
    await locator.first().waitFor({ timeout: 30_000 });
  }

  async function done(page: Page, name: string): Promise<void> {
    expect(policyViolations(page)).toEqual([]);
    await screenshot(page, `demo-${name}`);
    await page.context().close();
  }

  it('loaded the demo with nothing skipped', () => {
    expect(demo.notices).toEqual([]);
  });

  it('Dashboard: the organization, its three workspaces, recent activity, the billing cards and the announcements', async () => {
    const page = await open(org('overview'), DASHBOARD.title);
    await visible(page.getByRole('heading', { name: 'Northwind Robotics (demo)' }));
    await visible(page.getByTestId('workspace-total').filter({ hasText: '3' }));
    await visible(page.getByText('Premium', { exact: true }));
    await visible(page.getByText('Budgets and alerts'));
    await expectAbsent(page, [DASHBOARD.noActivity, DASHBOARD.noAnnouncements]);
    await done(page, 'dashboard');
  });

  it('Activity Logs: the demo’s entries', async () => {
    const page = await open(org('activity-logs'), ACTIVITY_LOGS.title);
    await visible(page.getByRole('row').nth(2));
    await expectAbsent(page, [ACTIVITY_LOGS.empty]);
    await done(page, 'activity-logs');
  });

  it('Billing: the invoices of the history’s ended months, the oldest paid and the next ones open; the statement', async () => {
    const page = await open(org('billing'), BILLING.title);
    const invoices = page.getByRole('row').filter({ hasText: /INV-[A-Z0-9]+-\d{6}/ });
    await visible(invoices.filter({ hasText: BILLING.invoiceStatuses.paid! }));
    await visible(invoices.filter({ hasText: BILLING.invoiceStatuses.issued! }));
    expect(await invoices.count()).toBeGreaterThanOrEqual(2);
    await visible(page.getByRole('row').filter({ hasText: BILLING.ledgerKinds.consumption! }));
    await expectAbsent(page, [BILLING.noInvoices, BILLING.noLedger]);
    // what the screen lists is what the API has
    const api = await harness.api(harness.stack.ownerToken).GET('/v1/organizations/{orgId}/billing/invoices', { params: { path: { orgId: demo.organizationId }, query: { pageSize: 100 } } });
    const items = api.data!.items;
    console.log(`demo invoices: ${items.map((item) => `${item.period} ${item.status} ${item.number ?? ''} subtotal ${item.subtotalUsd} credits ${item.creditsAppliedUsd} due ${item.totalDueUsd} USD`).join('; ')}`);
    for (const invoice of items.filter((item) => item.number !== null)) await visible(invoices.filter({ hasText: invoice.number! }));
    await page.getByRole('heading', { name: BILLING.invoices, exact: true }).scrollIntoViewIfNeeded();
    await done(page, 'billing');
  });

  it('Notification channels: the finance channel, disabled', async () => {
    const page = await open(org('notification-channels'), NOTIFICATIONS.title);
    await visible(page.getByText('Finance alerts (email, disabled)'));
    await expectAbsent(page, [NOTIFICATIONS.empty]);
    await done(page, 'notification-channels');
  });

  it('Team Settings: a member of every role and the pending invitation', async () => {
    const page = await open(workspace('team-settings'), TEAM_SETTINGS.title);
    for (const email of ['ada.admin@', 'bill.finance@', 'mia.member@', 'victor.viewer@']) await visible(page.getByTestId(`member-${email}northwind-demo.example.com`));
    await visible(page.getByRole('list', { name: TEAM_SETTINGS.pendingInvitations }).getByText('new.hire@northwind-demo.example.com', { exact: false }));
    await done(page, 'team-settings');
  });

  it('Job History: the demo’s jobs, one of them still running', async () => {
    const page = await open(workspace('job-history'), JOB_HISTORY.title);
    await visible(page.getByText('demo-job-024'));
    await expectAbsent(page, [JOB_HISTORY.empty]);
    await done(page, 'job-history');
  });

  it('Usage Analytics: costs, the six models and the budget alerts', async () => {
    const page = await open(workspace('chargeback'), USAGE_ANALYTICS.title);
    await visible(page.getByTestId('total-cost'));
    // a cost, not $0.00
    await visible(page.getByTestId('total-cost-value').filter({ hasText: /[1-9]/ }));
    for (const model of ['gpt-4.1-mini', 'claude-sonnet-4-5-20250929', 'mistral-large-latest']) await visible(page.getByText(model, { exact: true }));
    await expectAbsent(page, [BUDGET_ALERTS.empty]);
    await done(page, 'chargeback');
  });

  it('Budgets: the demo’s budgets', async () => {
    const page = await open(workspace('budgets'), BUDGETS.title);
    await visible(page.getByText('Production monthly spend'));
    await visible(page.getByText('Claude Sonnet monthly cap'));
    await expectAbsent(page, [BUDGETS.empty]);
    await done(page, 'budgets');
  });

  it('Runtime Environments: a runtime of each category, the unreachable one failed its test', async () => {
    const page = await open(workspace('runtime-environments'), RUNTIMES.title);
    for (const name of ['GKE ingest cluster', 'Databricks analytics', 'Snowflake warehouse', 'Python sandbox (unreachable)']) await visible(page.getByText(name, { exact: true }));
    await expectAbsent(page, [RUNTIMES.noIngestion]);
    await done(page, 'runtime-environments');
  });

  it('Model Settings: the workspace’s prices', async () => {
    const page = await open(workspace('model-settings'), MODEL_SETTINGS.title);
    await visible(page.getByText('mistral-large-latest'));
    await visible(page.getByText('gpt-4.1', { exact: true }));
    await expectAbsent(page, [MODEL_SETTINGS.empty]);
    await done(page, 'model-settings');
  });

  it('Announcements: the three published ones', async () => {
    const page = await open('/announcements', ANNOUNCEMENTS.title);
    for (const title of ['Budgets and alerts', 'Steward 0.1', 'Database maintenance on Sunday 02:00–03:00 UTC']) await visible(page.getByText(title, { exact: true }));
    await expectAbsent(page, [ANNOUNCEMENTS.none]);
    await done(page, 'announcements');
  });

  it('Ops: the queues with the demo’s work (connection tests, the invoice close), the failed connection test among the recent failures', async () => {
    const page = await open('/ops', OPS.title);
    await visible(page.getByTestId('ops-queue').filter({ hasText: 'billing-invoices' }));
    await visible(page.getByTestId('ops-projection'));
    await visible(page.getByTestId('recent-failure'));
    await done(page, 'ops');
  });
});
