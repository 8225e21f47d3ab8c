/**
 * The administration views of the admin guide in Chromium against one running stack: Job History (+ the details
 * dialog), Usage Analytics, Runtime Environments and Model Settings. Each is opened as a role that may see it and
 * as one that may not (another organization's owner: the workspace is a wall, 404; a viewer or member on the
 * admin-only Model Settings: the guide's restriction message); its main action is done in the browser and its
 * effect read back through the API; the guide's messages are looked for; axe-core finds no serious or critical
 * violation; a screenshot of each is saved. The data is made through the public API.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  ACCESS_RESTRICTED_DETAIL,
  ACCESS_RESTRICTED_TITLE,
  JOB_HISTORY,
  JOB_STEP_LABELS,
  MODEL_SETTINGS,
  RUNTIMES,
  STATES,
  USAGE_ANALYTICS,
  formatUsd,
  instantToWallClock,
  wallClockToInstant,
} from '@steward/console';
import { waitFor } from '@steward/testing';
import type { Person } from '../gateway/support/gateway-client';
import { type FakeServer, dockerSocketServer } from '../runtime/support/fake-runtime-servers';
import { type ConsoleApi, type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';

jest.setTimeout(120_000);

const DAY_MS = 86_400_000;
const PRICED = { provider: 'openai', model: 'gpt-4o' };
const UNPRICED = { provider: 'acme', model: 'steward-unlisted-1' };
const PRICED_CALLS = 25;
const UNPRICED_CALLS = 2;

describe('the administration views', () => {
  let harness: ConsoleHarness;
  let owner: ConsoleApi;
  let admin: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;
  let docker: FakeServer & { socketPath: string };
  let dockerRuntimeId: string;
  let org: string;
  let ws: string;

  const at = (screen: string, query = '') => `/organizations/${org}/workspaces/${ws}/${screen}${query}`;
  const expectClean = async (page: Page) => {
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
  };
  const idempotent = (key: string) => ({ header: { 'Idempotency-Key': key } });

  beforeAll(async () => {
    docker = await dockerSocketServer();
    harness = await startConsoleHarness();
    const { fixtures, stack } = harness;
    org = stack.organizationId;
    ws = stack.workspaceId;
    owner = harness.api(stack.ownerToken);
    [admin, member, viewer] = await Promise.all([
      fixtures.newMember(stack.ownerToken, ws, 'admin', 'views-admin'),
      fixtures.newMember(stack.ownerToken, ws, 'member', 'views-member'),
      fixtures.newMember(stack.ownerToken, ws, 'viewer', 'views-viewer'),
    ]);
    outsider = (await fixtures.otherOrganization(stack, 'views-outsider')).owner;

    // two jobs: one with every kind of step, one with none
    const started = new Date(Date.now() - 3_600_000).toISOString();
    for (const [jobId, agent] of [
      ['job-with-steps', 'sql-agent'],
      ['job-without-steps', 'ingest-agent'],
    ] as const) {
      const answer = await owner.POST('/v1/workspaces/{wsId}/jobs', { params: { path: { wsId: ws }, ...idempotent(`start-${jobId}`) }, body: { jobId, agent, startedAt: started } });
      expect(answer.response.status).toBe(201);
    }
    const steps = await owner.POST('/v1/workspaces/{wsId}/jobs/{jobId}/steps', {
      params: { path: { wsId: ws, jobId: 'job-with-steps' }, ...idempotent('steps-1') },
      body: {
        steps: [
          { stepId: 's1', type: 'user_message', content: 'How many orders shipped yesterday?' },
          { stepId: 's2', type: 'tool_call', toolName: 'run_sql', toolStatus: 'pending', parameters: { query: 'select count(*) from orders' }, durationMs: 42 },
          { stepId: 's3', type: 'tool_result', toolName: 'run_sql', toolStatus: 'success', result: { rows: [[1287]] }, durationMs: 317 },
          { stepId: 's4', type: 'assistant_response', content: '1,287 orders shipped yesterday.' },
          { stepId: 's5', type: 'system', content: 'context window at 12%' },
        ],
      },
    });
    expect(steps.data?.recorded).toBe(5);
    await owner.POST('/v1/workspaces/{wsId}/jobs/{jobId}/finish', { params: { path: { wsId: ws, jobId: 'job-with-steps' }, ...idempotent('finish-1') }, body: { status: 'success', summary: 'Counted the orders shipped yesterday: 1,287.' } });
    await owner.POST('/v1/workspaces/{wsId}/jobs/{jobId}/finish', { params: { path: { wsId: ws, jobId: 'job-without-steps' }, ...idempotent('finish-2') }, body: { status: 'failed' } });

    // a workspace price for one model, then its calls and calls of a model nobody priced
    const priced = await owner.PUT('/v1/workspaces/{wsId}/models/{provider}/{model}', {
      params: { path: { wsId: ws, ...PRICED } },
      body: { pricesPerMillionTokens: { input: '2.5', output: '10' }, effectiveFrom: new Date(Date.now() - 30 * DAY_MS).toISOString() },
    });
    expect(priced.response.status).toBe(200);
    const now = Date.now();
    const events = [
      ...Array.from({ length: PRICED_CALLS }, (_, i) => ({
        id: `priced-${i}`,
        source: 'console-test',
        time: new Date(now - (i + 1) * 3 * 3_600_000).toISOString(),
        agent: i % 2 === 0 ? 'sql-agent' : 'ingest-agent',
        ...PRICED,
        inputTokens: 1000 + i,
        outputTokens: 200,
        responseTimeMs: 400 + i,
        ...(i === 3 ? { status: 'error' as const, errorType: 'rate_limited' } : {}),
      })),
      ...Array.from({ length: UNPRICED_CALLS }, (_, i) => ({ id: `unpriced-${i}`, source: 'console-test', time: new Date(now - (i + 2) * DAY_MS).toISOString(), agent: 'sql-agent', ...UNPRICED, inputTokens: 500, outputTokens: 50, responseTimeMs: 900 })),
    ];
    const ingested = await owner.POST('/v1/workspaces/{wsId}/usage', { params: { path: { wsId: ws }, ...idempotent('usage-1') }, body: { events } });
    expect(ingested.data).toMatchObject({ accepted: events.length, rejected: 0 });
    await waitFor(
      'the usage read model to count every call',
      async () => {
        const summary = await owner.GET('/v1/usage/summary', { params: { query: { workspaceId: ws } } });
        return summary.data?.calls === events.length ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const runtime = await owner.POST('/v1/workspaces/{wsId}/runtimes', {
      params: { path: { wsId: ws }, ...idempotent('runtime-1') },
      body: { name: 'Local Docker', provider: 'docker', config: { host: `unix://${docker.socketPath}` } },
    });
    expect(runtime.response.status).toBe(201);
    dockerRuntimeId = runtime.data!.id;
    await waitFor('the runtime in the read model', async () =>
      (await owner.GET('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId: ws, id: dockerRuntimeId } } })).response.status === 200 ? true : undefined,
    );
    await waitFor('both jobs finished in the read model', async () => {
      const jobs = await owner.GET('/v1/workspaces/{wsId}/jobs', { params: { path: { wsId: ws }, query: { pageSize: 20 } } });
      return jobs.data?.items.filter((job) => job.status !== 'running').length === 2 ? true : undefined;
    });
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
    await docker?.close();
  });

  it('keeps the four screens and Chart.js out of the first download (route-level chunks)', async () => {
    const { url } = harness.stack;
    const html = await (await fetch(`${url}/`, { headers: { accept: 'text/html' } })).text();
    const initial = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((match) => match[1]!);
    expect(initial.length).toBeGreaterThan(0);
    let gzipped = 0;
    for (const path of initial) {
      const answer = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      gzipped += Number(answer.headers.get('content-length'));
      // a Chart.js option name: it survives minifying, and only Chart.js has it
      expect(await answer.text()).not.toContain('maintainAspectRatio');
    }
    console.log(`console initial JavaScript: ${initial.length} files, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThan(400 * 1024);
    const assets = readdirSync(join(__dirname, '..', '..', 'apps', 'console', 'dist', 'assets'));
    for (const screen of ['job-history-screen', 'usage-analytics-screen', 'runtime-environments-screen', 'model-settings-screen']) {
      expect(assets.some((file) => file.startsWith(`${screen}-`))).toBe(true);
      expect(html).not.toContain(screen);
    }
  });

  describe('Job History', () => {
    it('lists the jobs to a viewer; the details show the summary and every step with tool durations, or the guide\'s message', async () => {
      const page = await harness.open({ token: viewer.token, path: at('job-history') });
      const table = page.getByRole('table', { name: JOB_HISTORY.title });
      await table.getByTestId('job-job-with-steps').waitFor();
      await table.getByTestId('job-job-without-steps').waitFor();
      for (const header of Object.values(JOB_HISTORY.columns)) await table.getByRole('columnheader', { name: header }).waitFor();

      await page.getByRole('button', { name: `${JOB_HISTORY.viewDetails} job-with-steps` }).click();
      await page.waitForURL(/[?&]job=job-with-steps/);
      const dialog = page.getByRole('dialog', { name: JOB_HISTORY.details.title('job-with-steps') });
      await dialog.getByText('Counted the orders shipped yesterday: 1,287.').waitFor();
      const detail = await harness.api(viewer.token).GET('/v1/workspaces/{wsId}/jobs/{jobId}', { params: { path: { wsId: ws, jobId: 'job-with-steps' } } });
      const steps = dialog.getByRole('list', { name: JOB_HISTORY.details.interactionHistory }).getByRole('listitem');
      await waitFor('every step shown', async () => ((await steps.count()) === detail.data!.steps.length ? true : undefined));
      expect(await steps.locator('h4').allTextContents()).toEqual(detail.data!.steps.map((step) => JOB_STEP_LABELS[step.type]));
      expect(await dialog.getByTestId('step-duration').allTextContents()).toEqual([JOB_HISTORY.details.duration(42), JOB_HISTORY.details.duration(317)]);
      await dialog.getByLabel(JOB_HISTORY.details.parameters).getByText('select count(*) from orders', { exact: false }).waitFor();
      await expectClean(page);
      await screenshot(page, 'job-details', { docs: true });

      // Back closes the dialog; the other job has no steps
      await page.goBack();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: `${JOB_HISTORY.viewDetails} job-without-steps` }).click();
      await page.getByRole('dialog').getByText(JOB_HISTORY.details.noSteps).waitFor();
      await page.getByRole('button', { name: JOB_HISTORY.details.close }).click();

      // the status filter lives in the URL
      await page.getByRole('combobox', { name: JOB_HISTORY.status }).click();
      await page.getByRole('option', { name: 'failed' }).click();
      await page.waitForURL(/[?&]status=failed/);
      await waitFor('only the failed job listed', async () => ((await table.locator('tbody tr').count()) === 1 ? true : undefined));
      await table.getByTestId('job-job-without-steps').waitFor();
      await screenshot(page, 'job-history', { docs: true });

      // the CSV holds the filtered jobs, without the column of buttons
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: JOB_HISTORY.exportCsv }).click();
      const csv = readFileSync((await (await download).path())!, 'utf8').trim().split('\r\n');
      const { actions: _actions, ...exported } = JOB_HISTORY.columns;
      expect(csv[0]).toBe(Object.values(exported).join(','));
      expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(['job-without-steps']);
    });

    it('is a wall to another organization: not found, nothing of the jobs shown', async () => {
      const page = await harness.open({ token: outsider.token, path: at('job-history') });
      await page.getByText(STATES.notFound).first().waitFor();
      expect(await page.getByText('job-with-steps').count()).toBe(0);
    });
  });

  describe('Usage Analytics', () => {
    it('shows the cards, charts and tables of the API\'s figures to a member, with "pricing not configured" for the unpriced calls', async () => {
      const page = await harness.open({ token: member.token, path: '/profile' });
      // hold the summary back a moment: the guide's loading message shows meanwhile
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const isSummary = (url: URL) => url.pathname === '/v1/usage/summary';
      await page.route(isSummary, async (route) => {
        await held;
        // once released, later calls pass straight through
        await route.continue().catch(() => undefined);
      });
      await page.goto(at('chargeback'));
      await page.getByText(USAGE_ANALYTICS.loading).first().waitFor();
      release();

      const summary = (await harness.api(member.token).GET('/v1/usage/summary', { params: { query: { workspaceId: ws } } })).data!;
      expect(summary).toMatchObject({ calls: PRICED_CALLS + UNPRICED_CALLS, unpricedCalls: UNPRICED_CALLS });
      await page.getByTestId('total-cost-value').getByText(formatUsd(summary.totalCost)).waitFor();
      await page.getByTestId('total-cost').getByText(USAGE_ANALYTICS.apiCalls(String(summary.calls))).waitFor();
      await page.getByTestId('unpriced-calls').getByText(USAGE_ANALYTICS.unpricedCalls(UNPRICED_CALLS), { exact: false }).waitFor();
      const models = page.getByRole('table', { name: USAGE_ANALYTICS.modelStatistics });
      await models.getByTestId(`model-usage-${UNPRICED.provider}/${UNPRICED.model}`).getByText(USAGE_ANALYTICS.pricingNotConfigured).waitFor();
      await page.getByRole('img', { name: new RegExp(`^${USAGE_ANALYTICS.usageByModel}: `) }).waitFor();
      await page.getByRole('img', { name: new RegExp(`^${USAGE_ANALYTICS.usageTimeline} \\(`) }).waitFor();
      await expectClean(page);
      await screenshot(page, 'usage-analytics', { docs: true });

      // the interval, the page and the sort live in the URL
      await page.getByRole('button', { name: USAGE_ANALYTICS.intervals.hour }).click();
      await page.waitForURL(/[?&]interval=hour/);
      const recent = page.getByRole('table', { name: USAGE_ANALYTICS.recentUsage });
      await page.getByText(USAGE_ANALYTICS.page(1, 2)).waitFor();
      await page.getByRole('button', { name: USAGE_ANALYTICS.next }).click();
      await page.waitForURL(/[?&]page=2/);
      await page.getByText(USAGE_ANALYTICS.page(2, 2)).waitFor();
      await waitFor('the last page holds the last 7 calls', async () => ((await recent.locator('tbody tr').count()) === 7 ? true : undefined));
      await models.getByRole('button', { name: USAGE_ANALYTICS.modelColumns.cost }).click();
      await page.waitForURL(/[?&]sort=cost&dir=asc/);
      const order = () => models.locator('tbody tr td:nth-child(2)').allTextContents();
      await waitFor('the model table ordered by cost', async () => ((await order()).join() === [UNPRICED.model, PRICED.model].join() ? true : undefined));

      // the CSV holds every call of the filters, not just the page
      const download = page.waitForEvent('download');
      await page.getByRole('region', { name: USAGE_ANALYTICS.recentUsage }).getByRole('button', { name: USAGE_ANALYTICS.exportCsv }).click();
      const csv = readFileSync((await (await download).path())!, 'utf8').trim().split('\r\n');
      expect(csv[0]).toBe(Object.values(USAGE_ANALYTICS.eventColumns).join(','));
      expect(csv).toHaveLength(1 + PRICED_CALLS + UNPRICED_CALLS);
      expect(csv.filter((line) => line.includes(USAGE_ANALYTICS.pricingNotConfigured))).toHaveLength(UNPRICED_CALLS);

      // a copied link reproduces the view
      const copy = await harness.open({ token: member.token, path: new URL(page.url()).pathname + new URL(page.url()).search });
      await copy.getByText(USAGE_ANALYTICS.page(2, 2)).waitFor();
      expect(await copy.getByRole('button', { name: USAGE_ANALYTICS.intervals.hour }).getAttribute('aria-pressed')).toBe('true');
    });

    it('filters by agent and a Custom Range of days picked in the date fields', async () => {
      const page = await harness.open({ token: admin.token, path: '/profile' });
      const started = Date.now();
      await page.goto(at('chargeback'));
      await page.getByRole('table', { name: USAGE_ANALYTICS.recentUsage }).locator('tbody tr').first().waitFor();
      await page.getByTestId('total-cost').waitFor();
      console.log(`usage analytics: cards and recent usage shown ${Date.now() - started} ms after navigation`);

      // All Workspaces: the organization's workspaces this person may read, asked for by organization
      const everywhere = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/usage/summary' && new URL(response.url()).searchParams.get('workspaceId') === 'all');
      await page.getByRole('region', { name: 'Filters' }).getByRole('combobox', { name: USAGE_ANALYTICS.workspace }).click();
      await page.getByRole('option', { name: USAGE_ANALYTICS.allWorkspaces }).click();
      await page.waitForURL((url) => url.searchParams.get('ws') === 'all');
      const all = await everywhere;
      expect(new URL(all.url()).searchParams.get('organizationId')).toBe(org);
      expect(await all.json()).toMatchObject({ workspaceIds: [ws], calls: PRICED_CALLS + UNPRICED_CALLS });
      await page.getByRole('combobox', { name: USAGE_ANALYTICS.timePeriod }).click();
      await page.getByRole('option', { name: USAGE_ANALYTICS.periods.custom }).click();
      await page.getByText(USAGE_ANALYTICS.customRangeHelp).waitFor();
      // the days of the two unpriced calls only (two and three days ago), as days in the zone the page shows
      const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      const day = (offset: number) => instantToWallClock(new Date(Date.now() - offset * DAY_MS).toISOString(), zone).slice(0, 10);
      // both dates changed in one task, before the page renders again: neither change is lost
      await page.evaluate(`(() => {
        const field = (label) => [...document.querySelectorAll('label')].find((element) => element.textContent.startsWith(label)).control;
        const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        for (const [input, value] of [[field(${JSON.stringify(USAGE_ANALYTICS.startDate)}), ${JSON.stringify(day(5))}], [field(${JSON.stringify(USAGE_ANALYTICS.endDate)}), ${JSON.stringify(day(4))}]]) {
          setValue.call(input, value);
          input.dispatchEvent(new Event('input', { bubbles: true }));
        }
      })()`);
      await page.waitForURL((url) => url.searchParams.get('from') === day(5) && url.searchParams.get('to') === day(4));
      await page.getByLabel(USAGE_ANALYTICS.startDate).fill(day(3));
      await page.getByLabel(USAGE_ANALYTICS.endDate).fill(day(2));
      await page.waitForURL((url) => url.searchParams.get('period') === 'custom' && url.searchParams.get('from') === day(3) && url.searchParams.get('to') === day(2));
      const agent = page.getByRole('combobox', { name: USAGE_ANALYTICS.agent });
      // listened for before typing: the request can leave as soon as the typed agent is taken
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/usage/summary' && new URL(response.url()).searchParams.get('agent') === 'sql-agent');
      await agent.fill('sql-agent');
      // the suggestions close first: Enter then takes the typed agent, whichever suggestion a slow list highlighted
      await agent.press('Escape');
      await agent.press('Enter');
      await page.waitForURL((url) => url.searchParams.get('agent') === 'sql-agent');
      const inRange = await harness.api(admin.token).GET('/v1/usage/summary', {
        params: {
          query: { workspaceId: ws, period: 'custom', from: wallClockToInstant(`${day(3)}T00:00`, zone)!, to: wallClockToInstant(`${day(1)}T00:00`, zone)!, agent: 'sql-agent', tz: zone },
        },
      });
      expect(inRange.data!.calls).toBeGreaterThanOrEqual(UNPRICED_CALLS);
      const asked = await answered;
      expect([asked.status(), new URL(asked.url()).searchParams.get('from'), (await asked.json()).calls]).toEqual([200, inRange.data!.from, inRange.data!.calls]);
      await page.getByTestId('total-cost').getByText(USAGE_ANALYTICS.apiCalls(String(inRange.data!.calls))).waitFor();
      await expectClean(page);

      // a range longer than the API takes: its reason, in place of the figures
      await page.getByLabel(USAGE_ANALYTICS.startDate).fill('2020-01-01');
      await page.getByTestId('filter-refused').getByText('a custom range spans at most 400 days').waitFor();

      // the dark theme keeps every text readable
      const dark = await harness.open({ token: admin.token, path: new URL(page.url()).pathname, colorScheme: 'dark' });
      await dark.getByTestId('total-cost').waitFor();
      await dark.getByRole('img', { name: new RegExp(`^${USAGE_ANALYTICS.usageTimeline} \\(`) }).waitFor();
      await expectClean(dark);
      await screenshot(dark, 'usage-analytics-dark');
    });

    it('is a wall to another organization: the workspace named is not found', async () => {
      const page = await harness.open({ token: outsider.token, path: at('chargeback') });
      await page.getByText(STATES.notFound).first().waitFor();
      expect(await page.getByTestId('total-cost').count()).toBe(0);
    });
  });

  describe('Runtime Environments', () => {
    it('lets an admin test, add, set the default, edit and delete runtimes; the API shows each change', async () => {
      const api = harness.api(admin.token);
      const page = await harness.open({ token: admin.token, path: at('runtime-environments') });
      const card = page.getByTestId(`runtime-${dockerRuntimeId}`);
      await card.waitFor();
      await page.getByTestId('count-all').getByText('1').waitFor();
      await page.getByTestId('count-python_execution').getByText('1').waitFor();

      // Test → snackbar, and the outcome recorded
      await card.getByRole('button', { name: `${RUNTIMES.test} Local Docker` }).click();
      await page.getByTestId('runtime-notice').getByText(RUNTIMES.testSucceeded('Local Docker', null).replace(/ \(.*$/, ''), { exact: false }).waitFor({ timeout: 60_000 });
      const tested = await api.GET('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId: ws, id: dockerRuntimeId } } });
      expect(tested.data?.lastTest?.status).toBe('succeeded');
      await expectClean(page);
      await screenshot(page, 'runtime-environments', { docs: true });

      // Add Runtime → Python Execution: the Docker form from its JSON Schema; the API's refusal lands on its field
      await page.getByRole('button', { name: RUNTIMES.addRuntime }).click();
      await page.getByRole('menuitem', { name: RUNTIMES.addMenu.python_execution }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(RUNTIMES.runtimeName).fill('Second Docker');
      await dialog.getByLabel('Host').fill('ftp://nowhere');
      await dialog.getByRole('button', { name: RUNTIMES.createRuntime }).click();
      await dialog.getByText('must be unix:///path/to/docker.sock, tcp://host:port or https://host:port').waitFor();
      await dialog.getByLabel('Host').fill(`unix://${docker.socketPath}`);
      await dialog.getByLabel('Image').fill('python:3.12-slim');
      await dialog.getByLabel(RUNTIMES.setAsDefault).check();
      await expectClean(page);
      await screenshot(page, 'runtime-add');
      await dialog.getByRole('button', { name: RUNTIMES.createRuntime }).click();
      await page.getByText(RUNTIMES.created('Second Docker')).waitFor();
      const listed = await api.GET('/v1/workspaces/{wsId}/runtimes', { params: { path: { wsId: ws } } });
      const second = listed.data!.items.find((runtime) => runtime.name === 'Second Docker')!;
      expect(second).toMatchObject({ provider: 'docker', isDefault: true, config: { host: `unix://${docker.socketPath}`, image: 'python:3.12-slim' } });
      await page.getByTestId('count-all').getByText('2').waitFor();

      // Set Default back on the first
      await card.getByRole('button', { name: `${RUNTIMES.setDefault} Local Docker` }).click();
      await card.getByText(RUNTIMES.default, { exact: true }).waitFor();
      const defaults = await api.GET('/v1/workspaces/{wsId}/runtimes/defaults', { params: { path: { wsId: ws } } });
      expect(defaults.data?.python_execution?.id).toBe(dockerRuntimeId);

      // Edit renames
      await page.getByRole('button', { name: `${RUNTIMES.edit} Second Docker` }).click();
      await page.getByRole('dialog').getByLabel(RUNTIMES.runtimeName).fill('Spare Docker');
      await page.getByRole('dialog').getByRole('button', { name: RUNTIMES.saveRuntime }).click();
      await page.getByText(RUNTIMES.saved('Spare Docker')).waitFor();
      expect((await api.GET('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId: ws, id: second.id } } })).data?.name).toBe('Spare Docker');

      // Delete asks with the guide's words first
      await page.getByRole('button', { name: RUNTIMES.delete('Spare Docker') }).click();
      const confirm = page.getByRole('dialog', { name: RUNTIMES.delete('Spare Docker') });
      await confirm.getByText(RUNTIMES.confirmDelete('Spare Docker'), { exact: true }).waitFor();
      await confirm.getByRole('button', { name: RUNTIMES.confirm }).click();
      await page.getByText(RUNTIMES.deleted('Spare Docker')).waitFor();
      expect((await api.GET('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId: ws, id: second.id } } })).response.status).toBe(404);

      // the category tab and the Setup Guide tab live in the URL
      await page.getByRole('tab', { name: /Data Ingestion/ }).click();
      await page.waitForURL(/[?&]tab=data_ingestion/);
      await page.getByText(RUNTIMES.noIngestion).waitFor();
      await page.getByRole('button', { name: RUNTIMES.setupGuide }).click();
      const guide = page.getByRole('dialog', { name: RUNTIMES.setupGuide });
      for (const title of ['Data Ingestion', 'Serverless Spark', 'Databricks', 'Snowflake', 'Google Cloud']) await guide.getByRole('tab', { name: title }).waitFor();
      await guide.getByRole('tab', { name: 'Snowflake' }).click();
      await page.waitForURL(/[?&]guide=snowflake/);
      await expectClean(page);
      await screenshot(page, 'runtime-setup-guide');
    });

    it('shows a viewer the runtimes without the actions they may not take; another organization gets not found', async () => {
      const page = await harness.open({ token: viewer.token, path: at('runtime-environments') });
      await page.getByTestId(`runtime-${dockerRuntimeId}`).waitFor();
      expect(await page.getByRole('button', { name: RUNTIMES.addRuntime }).count()).toBe(0);
      expect(await page.getByRole('button', { name: `${RUNTIMES.test} Local Docker` }).count()).toBe(0);
      expect(await page.getByRole('button', { name: RUNTIMES.delete('Local Docker') }).count()).toBe(0);

      const walled = await harness.open({ token: outsider.token, path: at('runtime-environments') });
      await walled.getByText(STATES.notFound).first().waitFor();
      expect(await walled.getByText('Local Docker').count()).toBe(0);
    });
  });

  describe('Model Settings', () => {
    it('lets an admin set a price and set and clear an API key; the API shows each change', async () => {
      const api = harness.api(admin.token);
      const page = await harness.open({ token: admin.token, path: at('model-settings') });
      const row = page.getByTestId(`model-${PRICED.provider}/${PRICED.model}`);
      await row.getByText(formatUsd('2.5')).waitFor();
      await row.getByText(MODEL_SETTINGS.notConfigured).waitFor();
      await page.getByTestId('unpriced-models').getByText(`${UNPRICED.provider}/${UNPRICED.model} — ${USAGE_ANALYTICS.pricingNotConfigured}`).waitFor();
      await expectClean(page);
      await screenshot(page, 'model-settings', { docs: true });

      await row.getByRole('button', { name: MODEL_SETTINGS.edit(`${PRICED.provider}/${PRICED.model}`) }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(MODEL_SETTINGS.inputPrice).fill('3');
      await dialog.getByLabel(MODEL_SETTINGS.outputPrice).fill('12.5');
      await dialog.getByLabel(MODEL_SETTINGS.apiKey).fill('sk-console-test-0123456789');
      await dialog.getByRole('button', { name: MODEL_SETTINGS.save }).click();
      await page.getByText(MODEL_SETTINGS.saved(PRICED.model)).waitFor();
      await row.getByText(MODEL_SETTINGS.configured, { exact: true }).waitFor();
      const models = await api.GET('/v1/workspaces/{wsId}/models', { params: { path: { wsId: ws } } });
      const saved = models.data!.items.find((item) => item.provider === PRICED.provider && item.model === PRICED.model)!;
      expect(saved.currentPrice?.unitPricesPerMillionTokens).toMatchObject({ input: '3', output: '12.5' });
      expect(saved.currentPrice?.unitPrices).toMatchObject({ input: '0.000003', output: '0.0000125' });
      expect(saved.apiKey).toBe('Configured');
      expect(JSON.stringify(models.data)).not.toContain('sk-console-test');

      await row.getByRole('button', { name: MODEL_SETTINGS.edit(`${PRICED.provider}/${PRICED.model}`) }).click();
      await page.getByRole('dialog').getByRole('button', { name: MODEL_SETTINGS.clearApiKey }).click();
      await page.getByText(MODEL_SETTINGS.keyCleared(PRICED.model)).waitFor();
      await row.getByText(MODEL_SETTINGS.notConfigured).waitFor();
      const cleared = await api.GET('/v1/workspaces/{wsId}/models', { params: { path: { wsId: ws }, query: { q: PRICED.model } } });
      expect(cleared.data!.items.find((item) => item.model === PRICED.model)?.apiKey).toBe('Not Configured');

      // a price for the model used without one: it leaves the "pricing not configured" list
      await page.getByRole('button', { name: `${MODEL_SETTINGS.setPrice}: ${UNPRICED.provider}/${UNPRICED.model}` }).click();
      await page.getByRole('dialog').getByLabel(MODEL_SETTINGS.inputPrice).fill('1');
      await page.getByRole('dialog').getByLabel(MODEL_SETTINGS.outputPrice).fill('2');
      await page.getByRole('dialog').getByRole('button', { name: MODEL_SETTINGS.save }).click();
      await page.getByTestId(`model-${UNPRICED.provider}/${UNPRICED.model}`).getByText(formatUsd('1')).waitFor();
      const after = await api.GET('/v1/workspaces/{wsId}/models', { params: { path: { wsId: ws } } });
      expect(after.data!.items.find((item) => item.model === UNPRICED.model)?.currentPrice?.unitPricesPerMillionTokens.input).toBe('1');
    });

    it('shows the guide\'s restriction message to a member and a viewer (admins only)', async () => {
      for (const person of [member, viewer]) {
        const page = await harness.open({ token: person.token, path: at('model-settings') });
        await page.getByText(ACCESS_RESTRICTED_TITLE).waitFor();
        await page.getByText(ACCESS_RESTRICTED_DETAIL).waitFor();
        expect(await page.getByRole('button', { name: MODEL_SETTINGS.addModel }).count()).toBe(0);
        await expectClean(page);
      }
    });
  });
});
