/**
 * The demo loader (`npm run demo`, tools/demo.ts) on an empty stack with the default plan catalogue: it
 * loads within two minutes through the public API, a second run adds nothing (the event store's head, the
 * usage totals and every count stay), each role's printed token signs in as that role, and every list the
 * console shows is non-empty for the demo workspace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stack, type TestEnv, createTestEnv, startChild, startStack } from '@steward/testing';
import { GatewayClient, eventHead } from '../gateway/support/gateway-client';

jest.setTimeout(420_000);

interface DemoResult {
  organizationId: string;
  workspaces: { production: string; research: string; support: string };
  calls: Record<string, number>;
  people: Array<{ role: string; email?: string; token?: string }>;
  notices: string[];
  seconds: number;
}

const LOAD_LIMIT_MS = 120_000;

describe('demo data', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let stateDir: string;
  let first: DemoResult;
  let firstMs: number;

  /** Runs the loader as `npm run demo` does (a child process), answering its --json result and how long it took. */
  async function runDemo(): Promise<{ result: DemoResult; ms: number }> {
    const started = Date.now();
    const child = startChild('demo', 'tools/demo.ts', { ...stack.childEnv }, ['--url', stack.url, '--token', stack.ownerToken, '--state', join(stateDir, 'demo.json'), '--json']);
    const { code } = await child.exited;
    const ms = Date.now() - started;
    if (code !== 0) throw new Error(`the demo loader failed (${code}):\n${child.output}`);
    const line = child.output.split('\n').find((candidate) => candidate.startsWith('{'));
    return { result: JSON.parse(line!) as DemoResult, ms };
  }

  const get = <T = Record<string, unknown>>(path: string, token = stack.ownerToken) => client.expect<T>(200, 'GET', path, { token });

  /**
   * The event store's head once Steward is quiet: reactions to the first run's writes (a budget threshold
   * crossed by usage the spend reactor reads later) land on their own time, and are not the second run's.
   */
  async function settledHead(): Promise<number> {
    let head = await eventHead(env.pool);
    let quietSince = Date.now();
    const deadline = Date.now() + 60_000;
    while (Date.now() - quietSince < 3_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = await eventHead(env.pool);
      if (now !== head) [head, quietSince] = [now, Date.now()];
    }
    return head;
  }

  /** What a second run must leave as it is. */
  async function snapshot(result: DemoResult): Promise<Record<string, unknown>> {
    const figures: Record<string, unknown> = { head: await settledHead() };
    const from = new Date(Date.now() - 100 * 86_400_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    for (const [key, workspaceId] of Object.entries(result.workspaces)) {
      const summary = await get<{ calls: number; totalCost: string; tokens: { total: number } }>(`/v1/usage/summary?workspaceId=${workspaceId}&period=custom&from=${from}&to=${to}`);
      figures[`${key}.usage`] = [summary.calls, summary.totalCost, summary.tokens.total];
      for (const list of ['members', 'invitations', 'api-keys', 'jobs', 'runtimes', 'models', 'budgets']) {
        figures[`${key}.${list}`] = (await get<{ total: number }>(`/v1/workspaces/${workspaceId}/${list}`)).total;
      }
    }
    const billing = `/v1/organizations/${result.organizationId}/billing`;
    figures.ledger = (await get<{ total: number }>(`${billing}/ledger`)).total;
    figures.invoices = (await get<{ items: Array<{ period: string; status: string }> }>(`${billing}/invoices?pageSize=100`)).items.map((invoice) => `${invoice.period} ${invoice.status}`);
    figures.plan = (await get<{ plan: { id: string } }>(billing)).plan.id;
    figures.workspaces = (await get<{ total: number }>(`/v1/organizations/${result.organizationId}/workspaces`)).total;
    figures.channels = (await get<{ total: number }>(`/v1/organizations/${result.organizationId}/notification-channels`)).total;
    figures.announcements = (await get<{ items: unknown[] }>('/v1/announcements?view=all&pageSize=100')).items.length;
    figures.alerts = (await get<{ total: number }>(`/v1/budget-alerts?workspaceId=${result.workspaces.production}&period=30d`)).total;
    return figures;
  }

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'steward-demo-'));
    env = await createTestEnv();
    // the default plans (a 5,000-credit allowance, no overdraft): the loader must fund its own usage
    stack = await startStack(env, { env: { STEWARD_BILLING_PLANS: '' } });
    client = new GatewayClient(stack.url);
    ({ result: first, ms: firstMs } = await runDemo());
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('loads on an empty stack within two minutes, the read models caught up', async () => {
    console.log(`demo data loaded in ${(firstMs / 1000).toFixed(1)} s (loader: ${first.seconds.toFixed(1)} s)`);
    expect(firstMs).toBeLessThan(LOAD_LIMIT_MS);
    const total = Object.values(first.calls).reduce((sum, calls) => sum + calls, 0);
    expect(total).toBeGreaterThan(20_000);
    expect(Object.keys(first.workspaces)).toEqual(['production', 'research', 'support']);
  });

  it('prints a token per role that signs in as that role in the demo workspace', async () => {
    expect(first.people.map((person) => person.role)).toEqual(['owner', 'admin', 'billing', 'member', 'viewer']);
    const members = await get<{ items: Array<{ email: string; role: string }> }>(`/v1/workspaces/${first.workspaces.production}/members`);
    for (const person of first.people) {
      expect(person.token).toMatch(/^stu_/);
      const me = await get<{ email: string }>('/v1/me', person.token);
      expect(me.email).toBe(person.email);
      expect(members.items.find((member) => member.email === person.email)?.role).toBe(person.role);
    }
    // the roles hold: a viewer may not invite, a billing member may read the billing cards
    const viewer = first.people.find((person) => person.role === 'viewer')!;
    const refused = await client.call('POST', `/v1/workspaces/${first.workspaces.production}/invitations`, { token: viewer.token, body: { email: 'x@example.test', role: 'viewer' } });
    expect(refused.status).toBe(403);
    await get(`/v1/organizations/${first.organizationId}/billing`, first.people.find((person) => person.role === 'billing')!.token);
  });

  it('a second run adds nothing: the event store head, usage totals and every count stay', async () => {
    const before = await snapshot(first);
    const { result: second, ms } = await runDemo();
    console.log(`second run: ${(ms / 1000).toFixed(1)} s`);
    expect(ms).toBeLessThan(LOAD_LIMIT_MS);
    expect(second.organizationId).toBe(first.organizationId);
    expect(second.workspaces).toEqual(first.workspaces);
    expect(second.people).toEqual(first.people);
    expect(await snapshot(second)).toEqual(before);
  });

  it('every list the console shows is non-empty for the demo workspace', async () => {
    const ws = first.workspaces.production;
    const org = first.organizationId;
    const usage = (view: string, extra = '') => get<Record<string, unknown>>(`/v1/usage/${view}?workspaceId=${ws}&period=90d${extra}`);
    const nonEmpty = async (path: string, field = 'items') => {
      const body = await get<Record<string, unknown[]>>(path);
      expect({ path, length: body[field]!.length > 0 }).toEqual({ path, length: true });
      return body[field]!;
    };

    const members = (await nonEmpty(`/v1/workspaces/${ws}/members`)) as Array<{ role: string }>;
    expect(new Set(members.map((member) => member.role))).toEqual(new Set(['owner', 'admin', 'billing', 'member', 'viewer']));
    const invitations = (await nonEmpty(`/v1/workspaces/${ws}/invitations`)) as Array<{ status: string }>;
    expect(invitations.some((invitation) => invitation.status === 'pending')).toBe(true);
    await nonEmpty(`/v1/workspaces/${ws}/api-keys`);

    const summary = (await usage('summary')) as { calls: number; errors: number; unpricedCalls: number };
    expect(summary.errors / summary.calls).toBeGreaterThan(0.01);
    expect(summary.errors / summary.calls).toBeLessThan(0.03);
    expect(summary.unpricedCalls).toBe(0);
    const byModel = (await usage('by-model')) as { models: Array<{ provider: string }> };
    expect(byModel.models).toHaveLength(6);
    expect(new Set(byModel.models.map((model) => model.provider)).size).toBeGreaterThanOrEqual(2);
    const timeline = (await usage('timeline', '&interval=day')) as { points: Array<{ calls: number }> };
    expect(timeline.points.filter((point) => point.calls > 0).length).toBeGreaterThanOrEqual(85);
    expect(((await usage('models')) as { items: unknown[] }).items).toHaveLength(6);
    expect(((await usage('events')) as { total: number }).total).toBe(summary.calls);
    // the Customer Support workspace calls a model nobody priced there: the screen says so
    expect(((await get<{ unpricedCalls: number }>(`/v1/usage/summary?workspaceId=${first.workspaces.support}&period=90d`)).unpricedCalls)).toBeGreaterThan(0);

    const jobs = (await nonEmpty(`/v1/workspaces/${ws}/jobs?pageSize=100`)) as Array<{ jobId: string; status: string; agent: string }>;
    expect([...new Set(jobs.map((job) => job.status))].sort()).toEqual(['cancelled', 'failed', 'running', 'success']);
    expect(new Set(jobs.map((job) => job.agent)).size).toBe(5);
    const detail = await get<{ steps: Array<{ type: string }> }>(`/v1/workspaces/${ws}/jobs/${jobs.find((job) => job.status === 'failed')!.jobId}`);
    expect(detail.steps.length).toBeGreaterThan(0);

    const runtimes = await get<{ items: Array<{ name: string; lastTest: { status: string } | null }>; counts: Record<string, number> }>(`/v1/workspaces/${ws}/runtimes`);
    for (const category of ['data_ingestion', 'spark_processing', 'python_execution']) expect(runtimes.counts[category]).toBeGreaterThan(0);
    expect(runtimes.items.filter((runtime) => runtime.lastTest?.status === 'failed').map((runtime) => runtime.name)).toEqual(['Python sandbox (unreachable)']);

    const models = (await nonEmpty(`/v1/workspaces/${ws}/models`)) as Array<{ provider: string; model: string }>;
    expect(models.map((model) => `${model.provider}/${model.model}`).sort()).toEqual(['mistral/mistral-large-latest', 'openai/gpt-4.1']);
    await nonEmpty(`/v1/organizations/${org}/activity`);
    const ledger = (await nonEmpty(`/v1/organizations/${org}/billing/ledger?pageSize=100`)) as Array<{ kind: string }>;
    expect(new Set(ledger.map((entry) => entry.kind))).toEqual(new Set(['grant', 'consumption']));
    const cards = await get<{ plan: { id: string }; suspended: boolean; currentMonth: { usageUsd: string } }>(`/v1/organizations/${org}/billing`);
    expect(cards).toMatchObject({ plan: { id: 'premium' }, suspended: false });
    expect(Number(cards.currentMonth.usageUsd)).toBeGreaterThan(0);

    // invoices of the history's ended months, by the close cycle: the oldest paid, the rest issued (a month
    // still in its grace days a draft); each applies the credits its own calls drew, so no call is paid twice
    type Invoice = { id: string; period: string; status: string; number: string | null; subtotalUsd: string; creditsAppliedUsd: string; totalDueUsd: string };
    const invoices = (await nonEmpty(`/v1/organizations/${org}/billing/invoices?pageSize=100`)) as Invoice[];
    const now = new Date();
    const thisMonth = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const first90 = new Date(Date.now() - 89 * 86_400_000);
    const oldest = `${first90.getUTCFullYear()}-${String(first90.getUTCMonth() + 1).padStart(2, '0')}`;
    const periods = invoices.map((invoice) => invoice.period).sort();
    expect(periods[0]! <= oldest).toBe(true);
    expect(periods.at(-1)! < thisMonth).toBe(true);
    expect(periods.length).toBeGreaterThanOrEqual(2);
    const ordered = [...invoices].sort((a, b) => a.period.localeCompare(b.period));
    expect(ordered[0]!.status).toBe('paid');
    expect(ordered.slice(1).every((invoice) => invoice.status === 'issued' || invoice.status === 'draft')).toBe(true);
    for (const invoice of ordered) {
      const detail = await get<{ lines: Array<{ kind: string; workspaceId?: string; amountUsd: string }> }>(`/v1/organizations/${org}/billing/invoices/${invoice.id}`);
      const usageUsd = detail.lines.filter((line) => line.kind === 'usage').reduce((sum, line) => sum + Number(line.amountUsd), 0);
      expect(usageUsd).toBeGreaterThan(0);
      // the month's calls were covered by the credits they drew (granted before the usage): nothing is due twice
      expect(Number(invoice.creditsAppliedUsd)).toBeCloseTo(Math.min(usageUsd, Number(invoice.subtotalUsd)), 2);
    }

    // budgets, their threshold alerts (this month's usage crossed them), a notification channel that never delivers
    const budgets = (await nonEmpty(`/v1/workspaces/${ws}/budgets`)) as Array<{ name: string }>;
    expect(budgets.map((budget) => budget.name).sort()).toEqual(['Claude Sonnet monthly cap', 'Production monthly spend']);
    await nonEmpty(`/v1/workspaces/${first.workspaces.research}/budgets`);
    await nonEmpty(`/v1/budget-alerts?workspaceId=${ws}&period=30d`);
    const channels = (await nonEmpty(`/v1/organizations/${org}/notification-channels`)) as Array<{ kind: string; enabled: boolean }>;
    expect(channels.map((channel) => [channel.kind, channel.enabled])).toEqual([['email', false]]);
    expect((await get<{ total: number }>(`/v1/organizations/${org}/notification-deliveries`)).total).toBe(0);

    // announcements: published, and every demo person sees them
    for (const person of first.people) {
      const seen = await get<{ items: Array<{ title: string }> }>('/v1/announcements', person.token);
      expect({ role: person.role, titles: seen.items.map((item) => item.title).sort() }).toEqual({
        role: person.role,
        titles: ['Budgets and alerts', 'Database maintenance on Sunday 02:00–03:00 UTC', 'Steward 0.1'],
      });
    }
    // the loader skipped nothing
    expect(first.notices).toEqual([]);
  });
});
