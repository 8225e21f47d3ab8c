/**
 * Closes billing periods: for every organization with a billing account, at
 * the end of each of its periods (calendar months in its billing time zone)
 * since the account opened (and each earlier one whose calls the ledger
 * consumed: a history sent with its calls' times) — oldest first, so a period whose end no run saw
 * is invoiced too, and numbers follow the periods — it opens the period's
 * draft invoice, refreshes it while the grace period runs (late
 * usage lands on it), and issues it after. Usage issued periods gain after
 * their invoice (late events, corrections) goes on the next draft as
 * adjustment lines. Every step is a command on the invoice's own stream with
 * an id derived from organization, period and step, so two replicas and a
 * retried run append each step once.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { BILLING_SCHEMA, InvoiceReadRepository, periodOf, type PlanCatalogue } from '@steward/billing';
import { BillingStreams, billingLedgerEventRegistry, derivedId, type BillingLedgerEvent, type CommandEnvelope } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { Logger } from '@steward/observability';
import { teamDb } from '@steward/team-rbac';
import { periodUsageLines, type PeriodUsageLine } from '@steward/usage-metering';
import { accountOpenedAt, accountTimeZone, invoiceAccountFacts, usagePeriodsBefore, type AccountEntry } from './account-history';
import { billingPeriod, endedPeriodsSince, graceEndOf, lastEndedPeriod, type BillingPeriod } from './billing-period';
import type { InvoiceCommandRunner } from './invoice-command.runner';
import { invoiceContent, usageDifferences, type UsageAdjustment, type UsageFigures } from './invoice-lines';
import type { InvoiceContent } from './invoice.decider';

export const DEFAULT_GRACE_DAYS = 3;
export const DEFAULT_DUE_DAYS = 14;
/** Issued periods looked at for late usage on each draft. */
export const DEFAULT_ADJUSTMENT_LOOKBACK = 12;

export interface InvoiceCloserOptions {
  readonly store: EventStore;
  /** Over the read models: chargeback statement lines, the team's workspaces, the invoices. */
  readonly db: Kysely<unknown>;
  readonly runner: InvoiceCommandRunner;
  readonly catalogue: PlanCatalogue;
  readonly logger: Logger;
  readonly graceDays?: number;
  readonly dueDays?: number;
  readonly adjustmentLookback?: number;
  /** Organizations closed at once (their stream reads and commands in flight). */
  readonly concurrency?: number;
  /** The organizations to look at; default: every organization with a billing account. */
  readonly organizations?: () => Promise<string[]>;
}

export interface CloseReport {
  readonly organizations: number;
  readonly opened: number;
  readonly refreshed: number;
  readonly issued: number;
}

/** An organization to look at, with its billing time zone when the accounts read model knows it. */
interface Candidate {
  readonly organizationId: string;
  readonly timeZone?: string;
}

interface Work {
  readonly organizationId: string;
  readonly entries: AccountEntry[];
  readonly timeZone: string;
  readonly periods: BillingPeriod[];
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The stable id of the invoice of an organization's period (the same whoever computes it). */
export function invoiceIdFor(organizationId: string, period: string): string {
  return derivedId('invoice', `${organizationId}\n${period}`);
}

export class InvoiceCloser {
  private readonly invoices: InvoiceReadRepository;
  private readonly graceDays: number;
  private readonly dueDays: number;

  constructor(private readonly options: InvoiceCloserOptions) {
    this.invoices = new InvoiceReadRepository({ db: options.db });
    this.graceDays = options.graceDays ?? DEFAULT_GRACE_DAYS;
    this.dueDays = options.dueDays ?? DEFAULT_DUE_DAYS;
  }

  /** One run at `now`: every organization's ended periods not issued yet and open drafts, in batches. */
  async close(now: Date): Promise<CloseReport> {
    const organizations: Candidate[] = this.options.organizations ? (await this.options.organizations()).map((organizationId) => ({ organizationId })) : await this.allOrganizations();
    const report = { organizations: 0, opened: 0, refreshed: 0, issued: 0 };
    const batch = Math.max(1, (this.options.concurrency ?? 8) * 32);
    for (let index = 0; index < organizations.length; index += batch) {
      const part = await this.closeBatch(organizations.slice(index, index + batch), now);
      report.organizations += part.organizations;
      report.opened += part.opened;
      report.refreshed += part.refreshed;
      report.issued += part.issued;
    }
    if (report.opened + report.refreshed + report.issued > 0) this.options.logger.info(report, 'billing periods closed');
    return report;
  }

  /** Every organization with a billing account (the accounts read model); none before it exists. */
  private async allOrganizations(): Promise<Candidate[]> {
    try {
      const rows = await sql<{ organization_id: string; time_zone: string }>`
        SELECT organization_id, time_zone FROM ${sql.id(BILLING_SCHEMA, 'accounts')} ORDER BY organization_id`.execute(this.options.db);
      return rows.rows.map((row) => ({ organizationId: row.organization_id, timeZone: row.time_zone }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') return [];
      throw error;
    }
  }

  private async closeBatch(candidates: readonly Candidate[], now: Date): Promise<CloseReport> {
    const at = now.getTime();
    const [drafts, issued] = await Promise.all([
      this.invoices.draftPeriods(candidates.map((candidate) => candidate.organizationId)),
      this.invoices.issuedPeriods(candidates.map((candidate) => candidate.organizationId)),
    ]);
    // the zone the accounts read model knows tells, without reading the account's stream, that its last period is issued
    // already: the closer issues periods oldest first, so the earlier ones are too
    const pending = candidates.filter((candidate) => {
      if (candidate.timeZone === undefined || drafts.has(candidate.organizationId)) return true;
      const last = lastEndedPeriod(at, candidate.timeZone).period;
      return !(issued.get(candidate.organizationId) ?? []).some((invoice) => invoice.period === last);
    });
    const accounts = await this.inParallel(pending, async ({ organizationId }) => {
      const entries = await this.accountEntries(organizationId);
      const timeZone = accountTimeZone(entries);
      const openedAt = accountOpenedAt(entries);
      return timeZone && openedAt !== undefined ? { organizationId, entries, timeZone, openedAt } : undefined;
    });
    const open = accounts.filter((account): account is NonNullable<typeof account> => account !== undefined);
    const work: Work[] = open
      .map((account) => {
        const done = new Set((issued.get(account.organizationId) ?? []).map((invoice) => invoice.period));
        // every period ended since the account opened that has no issued invoice (a run missed, the service was down)
        const periods = new Map<string, BillingPeriod>(endedPeriodsSince(account.openedAt, at, account.timeZone).filter((period) => !done.has(period.period)).map((period) => [period.period, period]));
        // periods before the opening whose calls the ledger consumed (usage sent with its calls' earlier times), while
        // none after them is issued: numbers follow the periods
        const lastIssued = [...done].sort().at(-1);
        for (const usagePeriod of usagePeriodsBefore(account.entries, periodOf(account.openedAt, account.timeZone))) {
          if (!done.has(usagePeriod) && (lastIssued === undefined || usagePeriod > lastIssued)) periods.set(usagePeriod, billingPeriod(usagePeriod, account.timeZone));
        }
        // drafts of earlier periods still waiting for their issue (a run missed, a zone changed)
        for (const draft of drafts.get(account.organizationId) ?? []) if (!periods.has(draft.period)) periods.set(draft.period, billingPeriod(draft.period, draft.timeZone));
        return { ...account, periods: [...periods.values()].sort((a, b) => a.period.localeCompare(b.period)) };
      })
      // an organization whose last period is issued has nothing to do until the next one ends
      .filter((item) => item.periods.length > 0);
    const usage = await this.usageOf(work);
    const adjustments = await this.adjustmentsOf(work, issued);
    const report = { organizations: work.length, opened: 0, refreshed: 0, issued: 0 };
    await this.inParallel(work, async (item) => {
      for (const period of item.periods) {
        const steps = await this.closePeriod(item, period, usage.get(`${item.organizationId}|${period.period}`) ?? [], adjustments.get(`${item.organizationId}|${period.period}`) ?? [], at);
        report.opened += steps.opened;
        report.refreshed += steps.refreshed;
        report.issued += steps.issued;
      }
    });
    return report;
  }

  private async closePeriod(work: Work, period: BillingPeriod, usage: readonly UsageFigures[], adjustments: readonly UsageAdjustment[], at: number): Promise<{ opened: number; refreshed: number; issued: number }> {
    const { organizationId } = work;
    const invoiceId = invoiceIdFor(organizationId, period.period);
    const steps = { opened: 0, refreshed: 0, issued: 0 };
    const loaded = await this.options.runner.load(organizationId, period.period);
    const creditsFrom = loaded.state.numbering.creditsAppliedThrough;
    const lastIssued = loaded.state.numbering.lastIssuedPeriod;
    const content = (from: number, previous: string | null): InvoiceContent | undefined => {
      const facts = invoiceAccountFacts(work.entries, period, this.options.catalogue, from, previous);
      if (!facts) return undefined;
      return invoiceContent({ ...facts, usage, adjustments });
    };
    const nowIso = new Date(at).toISOString();
    const target = { organizationId, invoiceId, period: period.period };
    const existing = loaded.state.invoice;
    if (existing && existing.status !== 'draft') return steps;
    const initial = content(creditsFrom, lastIssued);
    if (!initial) return steps;
    const graceEndsAt = existing?.graceEndsAt ?? new Date(graceEndOf(period, this.graceDays)).toISOString();
    if (!existing) {
      const answer = await this.options.runner.execute(this.envelope(`invoice-open:${organizationId}:${period.period}`, 'OpenInvoiceDraft', organizationId, nowIso), organizationId, period.period, () => ({
        type: 'OpenInvoiceDraft',
        ...target,
        timeZone: period.timeZone,
        periodStart: new Date(period.start).toISOString(),
        periodEnd: new Date(period.end).toISOString(),
        graceEndsAt,
        ...initial,
        at: nowIso,
      }), loaded);
      if (answer.changed && !answer.replayed) steps.opened++;
    }
    if (at < Date.parse(graceEndsAt)) {
      if (!existing) return steps;
      const answer = await this.options.runner.execute(
        this.envelope(`invoice-refresh:${organizationId}:${period.period}:${digest(JSON.stringify(initial))}`, 'RefreshInvoiceDraft', organizationId, nowIso),
        organizationId,
        period.period,
        () => ({ type: 'RefreshInvoiceDraft', ...target, ...initial, at: nowIso }),
        loaded,
      );
      if (answer.changed && !answer.replayed) steps.refreshed++;
      return steps;
    }
    const answer = await this.options.runner.execute(this.envelope(`invoice-issue:${organizationId}:${period.period}`, 'IssueInvoice', organizationId, nowIso), organizationId, period.period, (fresh) => {
      // credits applied start where the last issued invoice stopped, as the numbering stream says now
      const from = fresh.state.numbering.creditsAppliedThrough;
      const previous = fresh.state.numbering.lastIssuedPeriod;
      const final = from === creditsFrom && previous === lastIssued ? initial : content(from, previous)!;
      return { type: 'IssueInvoice', ...target, ...final, creditsAppliedFrom: from, dueDays: this.dueDays, at: nowIso };
    }, existing ? loaded : undefined);
    if (answer.changed && !answer.replayed) steps.issued++;
    return steps;
  }

  private envelope(commandId: string, type: string, organizationId: string, issuedAt: string): CommandEnvelope {
    return { commandId, type, actor: { type: 'system', id: 'billing-invoices' }, organizationId, issuedAt, payload: {} };
  }

  private async accountEntries(organizationId: string): Promise<AccountEntry[]> {
    const events = await this.options.store.readStream(BillingStreams.account(organizationId));
    return events.map((event) => {
      const upcast = billingLedgerEventRegistry.upcast(event);
      return { revision: Number(event.streamRevision), event: { type: upcast.type, data: upcast.data } as BillingLedgerEvent };
    });
  }

  private async workspacesOf(organizationIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (organizationIds.length === 0) return found;
    const rows = await teamDb(this.options.db)
      .selectFrom('workspaces')
      .select(['id', 'organization_id'])
      .where('organization_id', '=', sql<string>`ANY(${[...organizationIds]}::text[])`)
      .execute();
    for (const row of rows) found.set(row.organization_id, [...(found.get(row.organization_id) ?? []), row.id]);
    return found;
  }

  /** Usage of every (organization, period) of the work: one query per distinct period bounds. */
  private async usageOf(work: readonly Work[]): Promise<Map<string, PeriodUsageLine[]>> {
    const groups = new Map<string, { period: BillingPeriod; organizations: string[] }>();
    for (const item of work) {
      for (const period of item.periods) {
        const key = `${period.period}|${period.start}|${period.end}`;
        const group = groups.get(key) ?? { period, organizations: [] };
        group.organizations.push(item.organizationId);
        groups.set(key, group);
      }
    }
    const workspaces = await this.workspacesOf(work.map((item) => item.organizationId));
    const found = new Map<string, PeriodUsageLine[]>();
    for (const { period, organizations } of groups.values()) {
      const members = new Set(organizations);
      const ids = organizations.flatMap((organizationId) => workspaces.get(organizationId) ?? []);
      for (const line of await periodUsageLines(this.options.db, ids, period.start, period.end)) {
        if (!members.has(line.organizationId)) continue;
        const key = `${line.organizationId}|${period.period}`;
        const list = found.get(key);
        if (list) list.push(line);
        else found.set(key, [line]);
      }
    }
    return found;
  }

  /**
   * For each organization's newest draft: the late usage of its issued periods (the last `adjustmentLookback`) since
   * their invoices. One usage query per distinct period bounds, one read of what was billed.
   */
  private async adjustmentsOf(work: readonly Work[], issued: ReadonlyMap<string, ReadonlyArray<{ period: string; start: number; end: number }>>): Promise<Map<string, UsageAdjustment[]>> {
    const lookback = this.options.adjustmentLookback ?? DEFAULT_ADJUSTMENT_LOOKBACK;
    const targets: Array<{ organizationId: string; closing: string; periods: ReadonlyArray<{ period: string; start: number; end: number }> }> = [];
    for (const item of work) {
      // adjustments go on the newest draft being closed: the next invoice after the issued ones
      const closing = item.periods.at(-1)!.period;
      const periods = (issued.get(item.organizationId) ?? []).filter((invoice) => invoice.period < closing).slice(-lookback);
      if (periods.length > 0) targets.push({ organizationId: item.organizationId, closing, periods });
    }
    const found = new Map<string, UsageAdjustment[]>();
    if (targets.length === 0) return found;
    const organizationIds = targets.map((target) => target.organizationId);
    const [workspaces, billed] = await Promise.all([
      this.workspacesOf(organizationIds),
      this.invoices.billedUsage(organizationIds, [...new Set(targets.flatMap((target) => target.periods.map((period) => period.period)))]),
    ]);
    // usage now of each (organization, issued period), read per distinct bounds (the zone it was cut in then)
    const groups = new Map<string, { start: number; end: number; organizations: Set<string> }>();
    for (const target of targets) {
      for (const period of target.periods) {
        const key = `${period.start}|${period.end}`;
        const group = groups.get(key) ?? { start: period.start, end: period.end, organizations: new Set<string>() };
        group.organizations.add(target.organizationId);
        groups.set(key, group);
      }
    }
    const now = new Map<string, PeriodUsageLine[]>();
    for (const group of groups.values()) {
      const ids = [...group.organizations].flatMap((organizationId) => workspaces.get(organizationId) ?? []);
      for (const line of await periodUsageLines(this.options.db, ids, group.start, group.end)) {
        if (!group.organizations.has(line.organizationId)) continue;
        const key = `${line.organizationId}|${group.start}|${group.end}`;
        now.set(key, [...(now.get(key) ?? []), line]);
      }
    }
    for (const target of targets) {
      const adjustments: UsageAdjustment[] = [];
      for (const period of target.periods) {
        const current = now.get(`${target.organizationId}|${period.start}|${period.end}`) ?? [];
        const before = (billed.get(`${target.organizationId}|${period.period}`) ?? []).map((line) => ({ ...line, prices: pricesFromItems(line.items, current, line.priceKey) }));
        for (const delta of usageDifferences(current, before)) adjustments.push({ period: period.period, delta });
      }
      if (adjustments.length > 0) found.set(`${target.organizationId}|${target.closing}`, adjustments);
    }
    return found;
  }

  private async inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.options.concurrency ?? 8, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    });
    await Promise.all(lanes);
    return results;
  }
}

/** The unit prices of a billed line: the current line's when it still exists, else the billed items'. */
function pricesFromItems(items: ReadonlyArray<{ tokenType: string; unitPriceUsd: string | null }>, now: readonly UsageFigures[], priceKey: string): UsageFigures['prices'] {
  const current = now.find((line) => line.priceKey === priceKey);
  if (current) return current.prices;
  const of = (type: string) => items.find((item) => item.tokenType === type)?.unitPriceUsd ?? null;
  return { input: of('input'), cacheRead: of('cacheRead'), cacheCreation: of('cacheCreation'), output: of('output'), reasoning: of('reasoningOutput') };
}

