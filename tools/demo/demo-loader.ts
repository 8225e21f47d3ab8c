/**
 * Loads the demo organization into a running Steward through its public HTTP API and the SDK only (no
 * database, no NATS): team, API keys, model prices, billing, a notification channel, runtimes, jobs, 90 days
 * of usage, budgets (their threshold alerts) and announcements. Idempotent: names are fixed, writes
 * carry deterministic Idempotency-Keys, usage and job steps deterministic ids, so a second run adds nothing.
 */
import { JobDeliveryError, StewardJobClient, StewardUsageClient } from '@steward/sdk';
import { DEMO_BUDGETS, DEMO_CHANNEL, demoAnnouncements, DEMO_PEOPLE, DEMO_PRICES, DEMO_RUNTIMES, DEMO_WORKSPACES, demoJobs, type DemoRole, type DemoWorkspaceKey } from './demo-data';
import { DemoApi, eventually } from './demo-http';
import type { DemoSecrets } from './demo-state';
import { DemoTeam, type DemoOrganization } from './demo-team';
import { demoUsage } from './demo-usage';

export interface DemoLoadOptions {
  readonly url: string;
  /** A user token of the person who owns (or will own) the demo organization. */
  readonly ownerToken: string;
  readonly secrets: DemoSecrets;
  readonly log?: (line: string) => void;
  /** How long to wait for the read models to show every call. Default 100 s. */
  readonly catchUpTimeoutMs?: number;
}

export interface DemoLoadResult {
  readonly organizationId: string;
  readonly workspaces: Readonly<Record<DemoWorkspaceKey, string>>;
  /** Calls of the demo's history per workspace (what the read models show once caught up). */
  readonly calls: Readonly<Record<DemoWorkspaceKey, number>>;
  readonly people: ReadonlyArray<{ readonly role: DemoRole; readonly email: string | undefined; readonly token: string | undefined }>;
  /** Steps the API could not make (e.g. announcements when the owner is no platform administrator). */
  readonly notices: readonly string[];
  readonly seconds: number;
}

const DAY_MS = 86_400_000;

export async function loadDemo(options: DemoLoadOptions): Promise<DemoLoadResult> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => process.stdout.write(`[demo] ${line}\n`));
  const api = new DemoApi(options.url.replace(/\/$/, ''), options.ownerToken);
  const notices: string[] = [];
  const notice = (line: string) => {
    notices.push(line);
    log(`notice: ${line}`);
  };
  const me = await api.get<{ email: string | null }>('/v1/me');
  options.secrets.tokens.owner = options.ownerToken;
  const team = new DemoTeam(api, options.secrets, log);
  const organization = await team.organization();
  // the demo's history ends when its organization was created: the same calls on every run
  const anchor = new Date(Date.parse(organization.createdAt));
  await team.people(organization);
  await team.apiKeys(organization);
  await prices(api, organization, anchor, log);
  await billing(api, organization.organizationId, log);
  await channel(api, organization.organizationId, log);
  await budgets(api, organization, log);

  const usage = Object.fromEntries(
    DEMO_WORKSPACES.map((workspace) => [workspace.key, demoUsage({ anchor, label: workspace.key, callsPerWorkingDay: workspace.callsPerWorkingDay })]),
  ) as Record<DemoWorkspaceKey, ReturnType<typeof demoUsage>>;
  const ingest = (key: DemoWorkspaceKey) => options.secrets.ingestKeys[key] ?? options.ownerToken;
  await Promise.all([
    ...DEMO_WORKSPACES.map((workspace) => sendUsage(options.url, organization.workspaces[workspace.key], ingest(workspace.key), usage[workspace.key])),
    jobs(api, options.url, organization.workspaces.production, ingest('production'), anchor, log),
    runtimes(api, organization.workspaces.production, log),
  ]);
  log(`sent ${Object.values(usage).reduce((sum, events) => sum + events.length, 0)} calls; waiting for the read models`);
  const calls = Object.fromEntries(DEMO_WORKSPACES.map((workspace) => [workspace.key, usage[workspace.key].length])) as Record<DemoWorkspaceKey, number>;
  await Promise.all(
    DEMO_WORKSPACES.map((workspace) =>
      eventually(
        `the ${workspace.name} usage in chargeback`,
        async () => {
          const summary = await api.get<{ calls: number }>(usageQuery('summary', organization.workspaces[workspace.key], anchor));
          return summary.calls >= calls[workspace.key] ? true : undefined;
        },
        options.catchUpTimeoutMs ?? 100_000,
      ),
    ),
  );

  const history = Object.values(usage).flat();
  await invoices(api, organization, history, options.catchUpTimeoutMs ?? 100_000, notice, log);
  // the spend reactor reads the usage after chargeback does: the alerts screen is not empty when the loader ends
  await eventually(
    'the budget alerts of Production',
    async () => {
      const alerts = await api.get<{ items: unknown[] }>(`/v1/budget-alerts?workspaceId=${organization.workspaces.production}&period=30d`);
      return alerts.items.length > 0 ? true : undefined;
    },
    options.catchUpTimeoutMs ?? 100_000,
  );
  await announcements(api, demoAnnouncements(organization.organizationId, anchor), me.email, notice, log);

  const people = [{ role: 'owner' as const, email: me.email ?? undefined }, ...DEMO_PEOPLE.map((person) => ({ role: person.role, email: person.email }))].map((person) => ({
    ...person,
    token: options.secrets.tokens[person.role],
  }));
  return { organizationId: organization.organizationId, workspaces: organization.workspaces, calls, people, notices, seconds: (Date.now() - started) / 1000 };
}

/** A chargeback query over the demo's whole history (it ends at the anchor, and the anchor may be days ago). */
export function usageQuery(view: string, workspaceId: string, anchor: Date, extra = ''): string {
  const from = new Date(anchor.getTime() - 91 * DAY_MS).toISOString();
  const to = new Date(Math.max(Date.now(), anchor.getTime()) + 60_000).toISOString();
  return `/v1/usage/${view}?workspaceId=${workspaceId}&period=custom&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${extra}`;
}

async function sendUsage(url: string, workspaceId: string, key: string, events: ReturnType<typeof demoUsage>): Promise<void> {
  const client = new StewardUsageClient({ baseUrl: url, apiKey: key, workspaceId, maxBatchSize: 5_000, flushIntervalMs: 60_000, maxQueuedEvents: 200_000 });
  for (const event of events) client.record(event);
  const result = await client.close();
  if (result.rejected > 0 || result.pending > 0) throw new Error(`usage of ${workspaceId}: ${result.rejected} refused, ${result.pending} undelivered`);
}

async function prices(api: DemoApi, organization: DemoOrganization, anchor: Date, log: (line: string) => void): Promise<void> {
  for (const price of DEMO_PRICES) {
    for (const key of price.workspaces) {
      const workspaceId = organization.workspaces[key];
      const models = await api.all<{ provider: string; model: string; currentPrice?: unknown }>(`/v1/workspaces/${workspaceId}/models`);
      if (models.some((model) => model.provider === price.provider && model.model === price.model)) continue;
      // in force before the first call of the history, so every call is priced by it
      await api.call('PUT', `/v1/workspaces/${workspaceId}/models/${price.provider}/${price.model}`, {
        body: { pricesPerMillionTokens: price.perMillion, effectiveFrom: new Date(anchor.getTime() - 91 * DAY_MS).toISOString(), ...(price.apiKey ? { apiKey: price.apiKey } : {}) },
      });
      log(`priced ${price.provider}/${price.model} in ${key}`);
    }
  }
}

async function billing(api: DemoApi, organizationId: string, log: (line: string) => void): Promise<void> {
  const base = `/v1/organizations/${organizationId}/billing`;
  const account = await eventually('the billing account', async () => {
    const answer = await api.call<{ opened?: boolean; plan?: { id: string } }>('GET', base, { accept: [404] });
    return answer.status === 200 && answer.body.opened ? answer.body : undefined;
  });
  if (account.plan?.id !== 'premium') {
    await api.call('PUT', `${base}/plan`, { body: { planId: 'premium' } });
    log('upgraded the plan to premium');
  }
  // the grant id derives from the Idempotency-Key: a later run grants nothing twice
  await api.post(`${base}/credits`, { credits: '20000', kind: 'promotional', reason: 'Pilot welcome credits' }, 'steward-demo:credits:promotional');
  const purchase = await api.call<{ url?: string }>('POST', `${base}/credits`, { body: { credits: '50000', kind: 'purchase', reason: 'Prepaid credits, PO 4711' }, idempotencyKey: 'steward-demo:credits:purchase' });
  if (purchase.status === 202) log(`the purchase of credits waits for a checkout: ${purchase.body.url}`);
}

/** `YYYY-MM` of an instant in a time zone. */
export function periodIn(instant: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(new Date(instant));
  return `${parts.find((part) => part.type === 'year')!.value}-${parts.find((part) => part.type === 'month')!.value}`;
}

/** The periods from `first` up to (not including) `until`, `YYYY-MM`. */
export function periodsBetween(first: string, until: string): string[] {
  const periods: string[] = [];
  let [year, month] = first.split('-').map(Number) as [number, number];
  for (let period = first; period < until; ) {
    periods.push(period);
    month += 1;
    if (month > 12) [year, month] = [year + 1, 1];
    period = `${year}-${String(month).padStart(2, '0')}`;
  }
  return periods;
}

/** Exact sum of decimal texts (USD), as a scaled integer: the ledger and chargeback compared without floats. */
export function scaledSum(values: ReadonlyArray<string | null | undefined>, scale = 30): bigint {
  let sum = 0n;
  for (const value of values) {
    if (!value) continue;
    const negative = value.startsWith('-');
    const [whole, fraction = ''] = (negative ? value.slice(1) : value).split('.');
    const units = BigInt(whole || '0') * 10n ** BigInt(scale) + BigInt((fraction + '0'.repeat(scale)).slice(0, scale) || '0');
    sum += negative ? -units : units;
  }
  return sum;
}

type DemoInvoice = { id: string; period: string; status: 'draft' | 'issued' | 'paid' | 'void'; number: string | null; totalDueUsd: string; graceEndsAt: string };

/**
 * Invoices of the history's ended billing periods, made by the real close cycle: every call was consumed
 * in the credit ledger against its own period (the consumption reactor records the calls' billing period),
 * the periods before the account opened are invoiced without a plan fee, and a platform administrator
 * runs the close job now (`POST /v1/ops/billing/close-periods`) rather than waiting for its schedule. A
 * period still in its grace days stays a draft. Then the oldest issued invoice is paid (the manual
 * provider), the others stay open.
 */
async function invoices(api: DemoApi, organization: DemoOrganization, history: ReadonlyArray<{ time?: string | Date | undefined }>, timeoutMs: number, notice: (line: string) => void, log: (line: string) => void): Promise<void> {
  const base = `/v1/organizations/${organization.organizationId}/billing`;
  const cards = await api.get<{ settings: { timeZone: string } }>(base);
  const timeZone = cards.settings.timeZone;
  let first = Infinity;
  let last = -Infinity;
  for (const event of history) {
    const time = Date.parse(String(event.time));
    if (time < first) first = time;
    if (time > last) last = time;
  }
  if (!Number.isFinite(first)) return;
  const expected = periodsBetween(periodIn(first, timeZone), periodIn(Date.now(), timeZone));
  if (expected.length === 0) return;
  // the ledger has consumed every call the chargeback shows (the invoice applies the credits its calls drew)
  await eventually(
    'the credit ledger to consume the demo usage',
    async () => {
      const ledger = await api.all<{ kind: string; usd: string | null }>(`${base}/ledger`);
      const consumed = scaledSum(ledger.filter((entry) => entry.kind === 'consumption').map((entry) => entry.usd));
      const summaries = await Promise.all(
        DEMO_WORKSPACES.map((workspace) => api.get<{ totalCost: string }>(usageQuery('summary', organization.workspaces[workspace.key], new Date(last)))),
      );
      return consumed === scaledSum(summaries.map((summary) => summary.totalCost)) ? true : undefined;
    },
    timeoutMs,
  );
  const list = async () => (await api.all<DemoInvoice>(`${base}/invoices`)).filter((invoice) => expected.includes(invoice.period));
  const settled = (found: readonly DemoInvoice[]) =>
    expected.every((period) => {
      const invoice = found.find((candidate) => candidate.period === period);
      return invoice !== undefined && (invoice.status !== 'draft' || Date.parse(invoice.graceEndsAt) > Date.now());
    });
  let found = await list();
  if (!settled(found)) {
    const run = await api.call<{ id: string }>('POST', '/v1/ops/billing/close-periods', { body: {}, idempotencyKey: `steward-demo:close-periods:${Date.now()}`, accept: [403] });
    if (run.status === 403) {
      notice('invoices: the owner is not a platform administrator, so the close cycle was not run now; its schedule (BILLING_CLOSE_EVERY_MS) issues them');
      return;
    }
    found = await eventually('the invoices of the ended billing periods', async () => {
      const now = await list();
      return settled(now) ? now : undefined;
    }, timeoutMs);
    log(`invoiced ${expected.join(', ')}: ${found.map((invoice) => `${invoice.period} ${invoice.status}${invoice.number ? ` ${invoice.number}` : ''} due ${invoice.totalDueUsd} USD`).join('; ')}`);
  }
  const oldest = [...found].sort((a, b) => a.period.localeCompare(b.period)).find((invoice) => invoice.status === 'issued' || invoice.status === 'paid');
  if (oldest?.status === 'issued') {
    await api.call('POST', `${base}/invoices/${oldest.id}/payments`, {
      body: { amountUsd: oldest.totalDueUsd, reference: `Bank transfer ${oldest.number}` },
      idempotencyKey: `steward-demo:invoice-payment:${oldest.period}`,
    });
    log(`recorded the payment of ${oldest.number} (${oldest.totalDueUsd} USD)`);
  }
}

async function runtimes(api: DemoApi, workspaceId: string, log: (line: string) => void): Promise<void> {
  const base = `/v1/workspaces/${workspaceId}/runtimes`;
  const existing = await api.all<{ id: string; name: string; lastTest?: { status: string } | null }>(base);
  for (const runtime of DEMO_RUNTIMES) {
    let found = existing.find((candidate) => candidate.name === runtime.name);
    if (!found) {
      found = await api.post<{ id: string; name: string }>(base, { name: runtime.name, provider: runtime.provider, config: runtime.config, setAsDefault: runtime.setAsDefault }, `steward-demo:runtime:${runtime.name}`);
      log(`registered the runtime ${runtime.name}`);
    }
    if (runtime.test && !found.lastTest) {
      const id = found.id;
      await api.post(`${base}/${id}/test`, {}, `steward-demo:runtime-test:${id}`);
      await eventually(`the connection test of ${runtime.name}`, async () => {
        const view = await api.get<{ lastTest?: { status: string } | null }>(`${base}/${id}`);
        return view.lastTest && view.lastTest.status !== 'pending' ? view.lastTest.status : undefined;
      });
      log(`tested the runtime ${runtime.name}`);
    }
  }
}

async function jobs(api: DemoApi, url: string, workspaceId: string, key: string, anchor: Date, log: (line: string) => void): Promise<void> {
  const client = new StewardJobClient({ baseUrl: url, apiKey: key, workspaceId });
  let made = 0;
  for (const job of demoJobs(anchor)) {
    const existing = await api.call<{ status: string }>('GET', `/v1/workspaces/${workspaceId}/jobs/${job.jobId}`, { accept: [404] });
    if (existing.status === 200 && (existing.body.status !== 'running' || !job.finish)) continue;
    try {
      if (existing.status === 404) await client.post('jobs', { jobId: job.jobId, agent: job.agent, input: job.input, startedAt: job.startedAt, metadata: { source: 'steward-demo' } });
      // step ids are fixed: steps an earlier run recorded are skipped
      await client.post(`jobs/${job.jobId}/steps`, { steps: job.steps });
      if (job.finish) await client.post(`jobs/${job.jobId}/finish`, job.finish);
      made++;
    } catch (error) {
      // finished meanwhile (timed out by Steward when it started more than 24 h ago): it stays as it is
      if (!(error instanceof JobDeliveryError && error.status === 409)) throw error;
      log(`job ${job.jobId} was finished by Steward before the loader finished it: ${JSON.stringify(error.problem)}`);
    }
  }
  if (made > 0) log(`recorded ${made} jobs`);
}

/**
 * An email channel for billing and budget events, disabled at once: the Notifications screen has a channel to
 * show, and nothing is ever sent (no message is queued for a disabled channel, SMTP configured or not).
 */
async function channel(api: DemoApi, organizationId: string, log: (line: string) => void): Promise<void> {
  const base = `/v1/organizations/${organizationId}/notification-channels`;
  const existing = await api.all<{ id: string; name: string }>(base);
  if (existing.some((candidate) => candidate.name === DEMO_CHANNEL.name)) return;
  const created = await api.post<{ id: string }>(base, DEMO_CHANNEL, `steward-demo:channel:${DEMO_CHANNEL.name}`);
  await api.call('PATCH', `${base}/${created.id}`, { body: { enabled: false }, idempotencyKey: `steward-demo:channel-disable:${created.id}` });
  log(`added the notification channel ${DEMO_CHANNEL.name} (disabled)`);
}

async function budgets(api: DemoApi, organization: DemoOrganization, log: (line: string) => void): Promise<void> {
  for (const budget of DEMO_BUDGETS) {
    const workspaceId = organization.workspaces[budget.workspace];
    const existing = await api.all<{ name: string }>(`/v1/workspaces/${workspaceId}/budgets`);
    if (existing.some((candidate) => candidate.name === budget.body.name)) continue;
    await api.post(`/v1/workspaces/${workspaceId}/budgets`, budget.body, `steward-demo:budget:${String(budget.body.name)}`);
    log(`defined the budget ${String(budget.body.name)}`);
  }
}

async function announcements(api: DemoApi, wanted: ReadonlyArray<Record<string, unknown>>, email: string | null, notice: (line: string) => void, log: (line: string) => void): Promise<void> {
  type Announcement = { id: string; title: string; status?: string };
  // a platform administrator lists drafts too (view=all); anyone else only what is published to them
  const everything = await api.call<{ items: Announcement[] }>('GET', '/v1/announcements?view=all&pageSize=100', { accept: [400, 403] });
  const existing = everything.status === 200 ? everything.body.items : await api.all<Announcement>('/v1/announcements');
  for (const announcement of wanted) {
    let found = existing.find((candidate) => candidate.title === announcement.title);
    if (!found) {
      const created = await api.call<Announcement>('POST', '/v1/announcements', { body: announcement, idempotencyKey: `steward-demo:announcement:${String(announcement.title)}`, accept: [403] });
      if (created.status === 403) {
        notice(`announcements: ${email ?? 'the owner'} is not a platform administrator, so none were published`);
        return;
      }
      found = created.body;
      log(`drafted the announcement "${String(announcement.title)}"`);
    }
    // a draft is published; one a platform administrator unpublished stays so
    if (found.status === 'draft') {
      await api.post(`/v1/announcements/${found.id}/publish`, {}, `steward-demo:announcement-publish:${found.id}`);
      log(`published the announcement "${String(announcement.title)}"`);
    }
  }
}
