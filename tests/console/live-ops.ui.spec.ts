/**
 * Live updates and Ops in the web console, in Chromium against one running stack: the Dashboard follows the
 * organization's stream (a workspace created by another client shows in its count without a reload, and the
 * "Live" chip says so); the Ops screen shows a runtime connection test made to fail (its credentials unreadable
 * in the secret store, as tests/gateway/ops.e2e.spec.ts does) among the failed jobs with its error, retries one
 * and removes another through their confirmations, each effect read back through the API (another organization's
 * owner sees neither job); the Dashboard's stream, failed, reopens with a new ticket and `lastEventId` and brings
 * the change made meanwhile; the menu shows Ops to owners and admins only; axe-core finds no serious or critical violation.
 */
import pg from 'pg';
import type { Page } from 'playwright-core';
import { ACCESS_RESTRICTED_TITLE, DASHBOARD, NAV, OPS } from '@steward/console';
import { waitFor } from '@steward/testing';
import { GatewayClient, type Person } from '../gateway/support/gateway-client';
import { type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';

jest.setTimeout(180_000);

const QUEUE = 'runtime-connection-tests';

interface FailedJob {
  id: string;
  error: string;
  attempts: number;
}
interface OpsQueues {
  queues: Array<{ name: string; counts: Record<string, number>; failedJobs: FailedJob[] }>;
}

describe('live updates and Ops in the web console', () => {
  let harness: ConsoleHarness;
  let client: GatewayClient;
  let pool: pg.Pool;
  let member: Person;

  beforeAll(async () => {
    harness = await startConsoleHarness();
    client = new GatewayClient(harness.stack.url);
    pool = new pg.Pool({ connectionString: harness.env.databaseUrl, max: 2 });
    member = await harness.fixtures.newMember(harness.stack.ownerToken, harness.stack.workspaceId, 'member', 'console-ops-member');
  }, 240_000);

  afterAll(async () => {
    await pool?.end();
    await harness?.close();
  });

  const expectClean = async (page: Page) => {
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
  };
  const owner = () => harness.stack.ownerToken;
  const failedJobs = async (): Promise<FailedJob[]> =>
    (await client.expect<OpsQueues>(200, 'GET', '/v1/ops/queues', { token: owner() })).queues.find((queue) => queue.name === QUEUE)?.failedJobs ?? [];

  it('the Dashboard is live: a workspace created by another client shows in the count without a reload', async () => {
    const { stack } = harness;
    const page = await harness.open({ token: owner(), path: `/organizations/${stack.organizationId}/overview` });
    await page.getByRole('heading', { name: DASHBOARD.title, level: 1 }).waitFor();
    const chip = page.getByTestId('live-status');
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 15_000 });
    expect(await chip.textContent()).toBe(DASHBOARD.live.live);
    const total = page.getByTestId('workspace-total');
    const before = Number(await total.textContent());
    // a page that reloaded would lose this mark
    await page.evaluate(() => ((globalThis as unknown as { liveMark: number }).liveMark = 1));

    const started = Date.now();
    await client.expect(201, 'POST', `/v1/organizations/${stack.organizationId}/workspaces`, { token: owner(), body: { name: 'Created elsewhere' } });
    await page.locator('[data-testid="workspace-total"]', { hasText: new RegExp(`^${before + 1}$`) }).waitFor({ timeout: 5_000 });
    const elapsed = Date.now() - started;
    console.log(`live Dashboard: API create → count on screen in ${elapsed} ms`);
    expect(await page.evaluate(() => (globalThis as unknown as { liveMark?: number }).liveMark)).toBe(1);
    await expectClean(page);
    await screenshot(page, 'dashboard-live');
  });

  it('the Dashboard resumes after its stream fails: a new ticket, `lastEventId`, and the change made meanwhile arrives', async () => {
    const { stack } = harness;
    const page = await harness.open({ token: owner(), path: `/organizations/${stack.organizationId}/overview` });
    // the page's EventSources, so the test can fail the open one as a dropped connection does
    await page.addInitScript(() => {
      const scope = globalThis as unknown as { EventSource: typeof EventSource; liveSources: EventSource[] };
      const Native = scope.EventSource;
      scope.liveSources = [];
      scope.EventSource = class extends Native {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          scope.liveSources.push(this);
        }
      };
    });
    await page.reload();
    const streams: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/stream?')) streams.push(request.url());
    });
    const live = page.locator('[data-testid="live-status"][data-status="live"]');
    await live.waitFor({ timeout: 15_000 });
    const total = page.getByTestId('workspace-total');
    const count = async () => Number(await total.textContent());
    const shows = (value: number) => page.locator('[data-testid="workspace-total"]', { hasText: new RegExp(`^${value}$`) });
    const start = await count();
    await harness.fixtures.createWorkspace(owner(), stack.organizationId, 'Seen live');
    await shows(start + 1).waitFor({ timeout: 5_000 });

    // the connection fails and no ticket can be had for a while: Reconnecting…, and a change made meanwhile is not shown yet
    await page.route('**/stream-tickets', (route) => route.abort());
    await page.evaluate(() => {
      const sources = (globalThis as unknown as { liveSources: EventSource[] }).liveSources;
      sources[sources.length - 1]!.dispatchEvent(new Event('error'));
    });
    await page.locator('[data-testid="live-status"][data-status="reconnecting"]').waitFor();
    await harness.fixtures.createWorkspace(owner(), stack.organizationId, 'Made while away');
    await page.waitForTimeout(500);
    expect(await count()).toBe(start + 1);

    // tickets again: the stream reopens after the last id it saw, whose replay brings the change
    const opened = streams.length;
    await page.unroute('**/stream-tickets');
    await live.waitFor({ timeout: 30_000 });
    await shows(start + 2).waitFor({ timeout: 10_000 });
    const reopened = streams.slice(opened).map((url) => new URL(url));
    expect(reopened.length).toBeGreaterThanOrEqual(1);
    expect(reopened[0]!.searchParams.get('lastEventId')).toMatch(/^\d+$/);
    expect(reopened[0]!.searchParams.get('ticket')).toBeTruthy();
    await expectClean(page);
  });

  it('Ops: a failed runtime test shows with its error; Retry sends it back and it leaves the failed jobs; Remove removes another', async () => {
    const { stack } = harness;
    const base = `/v1/workspaces/${stack.workspaceId}/runtimes`;
    const runtimes = await Promise.all(
      ['Unreachable cluster A', 'Unreachable cluster B'].map(async (name, index) => {
        const runtime = await client.expect<{ id: string }>(201, 'POST', base, {
          token: owner(),
          body: { name, provider: 'onprem_k8s', config: { server: 'https://127.0.0.1:9', namespace: `ops-${index}`, token: `ops-ui-token-${index}` } },
        });
        await waitFor('the runtime', async () => ((await client.call('GET', `${base}/${runtime.id}`, { token: owner() })).status === 200 ? true : undefined));
        return runtime.id;
      }),
    );
    // their credentials unreadable: the test jobs fail for Steward's own reason, and BullMQ gives up after their attempts
    const owners = runtimes.map((id) => `runtime:${stack.workspaceId}:${id}`);
    const kept = await pool.query<{ ref: string; ciphertext: Buffer }>('SELECT ref, ciphertext FROM steward_secrets.secrets WHERE owner = ANY($1)', [owners]);
    expect(kept.rowCount).toBeGreaterThanOrEqual(2);
    await pool.query("UPDATE steward_secrets.secrets SET ciphertext = '\\x00'::bytea WHERE owner = ANY($1)", [owners]);
    const [retried, removed] = (await Promise.all(
      runtimes.map(async (id) => (await client.expect<{ testId: string }>(202, 'POST', `${base}/${id}/test`, { token: owner(), body: {} })).testId),
    )) as [string, string];
    const failed = await waitFor(
      'both failed test jobs',
      async () => {
        const jobs = await failedJobs();
        const found = [retried, removed].map((id) => jobs.find((job) => job.id === id));
        return found.every((job) => job !== undefined) ? (found as FailedJob[]) : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );

    const page = await harness.open({ token: owner(), path: '/ops' });
    await page.getByRole('heading', { name: OPS.title, level: 1 }).waitFor();
    await page.getByRole('link', { name: NAV.ops }).waitFor();
    // the bootstrap's owner is a platform administrator
    await page.getByText(OPS.scopePlatform).waitFor();
    const row = page.locator(`[data-testid="failed-job"][data-job-id="${retried}"]`);
    await row.waitFor();
    // the job with its error and attempts, as the API has them
    await row.getByText(failed[0]!.error, { exact: true }).waitFor();
    expect(await row.getByTestId('job-attempts').textContent()).toBe(String(failed[0]!.attempts));
    // the queues' counts, the consumers, the projections and the recent failures are there too
    const queueRow = page.getByTestId('ops-queue').filter({ hasText: QUEUE });
    expect(Number(await queueRow.getByTestId('queue-failed').textContent())).toBeGreaterThanOrEqual(2);
    await page.getByRole('table', { name: OPS.consumers }).waitFor();
    await page.getByTestId('ops-projection').filter({ hasText: 'activity' }).waitFor();
    await page.getByTestId('dead-letter-total').waitFor();
    await page.getByRole('heading', { name: OPS.recentFailures }).waitFor();
    await expectClean(page);
    await screenshot(page, 'ops', { docs: true });

    // another organization's owner: their organization's jobs only (not these), the platform's figures
    const other = await harness.fixtures.otherOrganization(stack, 'console-ops-other');
    const theirs = await harness.open({ token: other.owner.token, path: '/ops' });
    await theirs.getByText(OPS.scopeOrganization).waitFor();
    await theirs.getByRole('link', { name: NAV.ops }).waitFor();
    await theirs.getByTestId('ops-queue').filter({ hasText: QUEUE }).waitFor();
    expect(await theirs.locator(`[data-testid="failed-job"][data-job-id="${retried}"]`).count()).toBe(0);
    expect(await theirs.locator(`[data-testid="failed-job"][data-job-id="${removed}"]`).count()).toBe(0);
    await expectClean(theirs);

    // Retry: confirmed in a dialog; the credentials back, the job runs to its outcome and leaves the failed jobs
    for (const keptRow of kept.rows) await pool.query('UPDATE steward_secrets.secrets SET ciphertext = $2 WHERE ref = $1', [keptRow.ref, keptRow.ciphertext]);
    await row.getByRole('button', { name: OPS.retryJob(retried) }).click();
    const confirm = page.getByRole('dialog', { name: OPS.confirmRetryTitle });
    await confirm.getByText(OPS.confirmRetry(retried, QUEUE)).waitFor();
    await expectClean(page);
    await confirm.getByRole('button', { name: OPS.retry, exact: true }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText(OPS.retried(retried)).waitFor();
    const outcome = await waitFor(
      'the retried test’s outcome',
      async () => {
        const { lastTest } = await client.expect<{ lastTest?: { testId: string; status: string } }>(200, 'GET', `${base}/${runtimes[0]}`, { token: owner() });
        return lastTest !== undefined && lastTest.testId === retried && lastTest.status !== 'pending' ? lastTest.status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(outcome).toBe('failed'); // the cluster is unreachable: a failed test, recorded — no longer a failed job
    expect((await failedJobs()).map((job) => job.id)).not.toContain(retried);
    await page.getByRole('button', { name: OPS.refresh }).click();
    await row.waitFor({ state: 'detached' });

    // Remove: cancelled first (nothing happens), then confirmed
    const second = page.locator(`[data-testid="failed-job"][data-job-id="${removed}"]`);
    await second.getByRole('button', { name: OPS.removeJob(removed) }).click();
    let dialog = page.getByRole('dialog', { name: OPS.confirmRemoveTitle });
    await dialog.getByRole('button', { name: OPS.cancel }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await failedJobs()).map((job) => job.id)).toContain(removed);
    await second.getByRole('button', { name: OPS.removeJob(removed) }).click();
    dialog = page.getByRole('dialog', { name: OPS.confirmRemoveTitle });
    await dialog.getByRole('button', { name: OPS.remove, exact: true }).click();
    await page.getByText(OPS.removed(removed)).waitFor();
    await second.waitFor({ state: 'detached' });
    expect((await failedJobs()).map((job) => job.id)).not.toContain(removed);

    // the failed test is among the recent failures, with its error
    await page.getByTestId('recent-failure').filter({ hasText: 'Unreachable cluster A' }).first().waitFor();
  });

  it('the menu shows Ops to owners, not to a member, whom the screen refuses', async () => {
    const ownerPage = await harness.open({ token: owner(), path: `/organizations/${harness.stack.organizationId}/overview` });
    await ownerPage.getByRole('link', { name: NAV.ops }).waitFor();

    const page = await harness.open({ token: member.token, path: `/organizations/${harness.stack.organizationId}/overview` });
    await page.getByRole('heading', { name: DASHBOARD.title, level: 1 }).waitFor();
    await page.getByRole('link', { name: NAV.dashboard }).waitFor();
    expect(await page.getByRole('link', { name: NAV.ops }).count()).toBe(0);
    expect((await client.call('GET', '/v1/ops/queues', { token: member.token })).status).toBe(403);
    // its URL opened anyway: the API's refusal, shown as every screen shows it
    await page.goto('/ops');
    await page.getByText(ACCESS_RESTRICTED_TITLE).first().waitFor();
    await expectClean(page);
  });
});
