/**
 * What an invoice needs from an organization's account stream, pure: the
 * plan in force at the period's start (its fee; for the period the account
 * opened in after its first day, the prorated fee its BillingPeriodStarted
 * recorded, as a proration line), each upgrade inside the period (its
 * proration line), the rate of credits per USD, and the credits
 * the ledger drew from grants for usage between two points of the stream.
 * The stream is the ledger's own history, so "credits applied" come from the
 * same events as the balance.
 */
import { findPlan, periodDays, periodOf, planOrDefault, remainingDays, type PlanCatalogue } from '@steward/billing';
import type { BillingLedgerEvent } from '@steward/contracts';
import { amountText, dec } from '@steward/billing';
import type { PlanFeeInput, ProrationInput } from './invoice-lines';
import type { BillingPeriod } from './billing-period';

/** One event of the account stream with its revision. */
export interface AccountEntry {
  readonly revision: number;
  readonly event: BillingLedgerEvent;
}

export interface InvoiceAccountFacts {
  readonly timeZone: string;
  readonly planFee: PlanFeeInput | null;
  readonly prorations: ProrationInput[];
  readonly creditsPerUsd: string;
  /** Σ of the credits the CreditsConsumed this invoice applies drew from grants (see `appliesToInvoice`). */
  readonly creditsDrawn: string;
  /** The ledger entries looked at end here: the stream's length as read. */
  readonly creditsAppliedThrough: number;
}

/** The account's time zone as its stream says (undefined: no account). */
export function accountTimeZone(entries: readonly AccountEntry[]): string | undefined {
  let zone: string | undefined;
  for (const { event } of entries) {
    if (event.type === 'BillingAccountOpened' || event.type === 'BillingAccountConfigured') zone = event.data.timeZone;
  }
  return zone;
}

/** The billing period a CreditsConsumed consumed calls of: its `usagePeriod`, else (older events) its consumption's, in `timeZone`. */
function usagePeriodOf(data: { readonly usagePeriod?: string | undefined; readonly consumedAt: string }, timeZone: string): string {
  return data.usagePeriod ?? periodOf(data.consumedAt, timeZone);
}

/**
 * Whether the credits of a CreditsConsumed (its calls' period `usagePeriod`, at `revision` of the account
 * stream) go on the invoice of `period`, given the previous issued invoice (`lastIssuedPeriod`, whose look at
 * the ledger ended at `creditsAppliedFrom`) and this one's (`creditsAppliedThrough`). Invoices are issued in
 * period order, each looking at the ledger up to where it was read: an entry goes on the first invoice whose
 * period is its calls' period or later and that saw it — its own period's invoice, or, recorded after
 * that one was issued (late usage), the next one, beside the adjustment line of that usage. So every entry is
 * applied once, and an invoice applies the credits its usage lines drew however late the usage arrived.
 */
export function appliesToInvoice(
  entry: { readonly usagePeriod: string; readonly revision: number },
  invoice: { readonly period: string; readonly lastIssuedPeriod: string | null; readonly creditsAppliedFrom: number; readonly creditsAppliedThrough: number },
): boolean {
  if (entry.revision >= invoice.creditsAppliedThrough || entry.usagePeriod > invoice.period) return false;
  // after the previous invoice's look, or of a period after the previous invoice's
  return entry.revision >= invoice.creditsAppliedFrom || invoice.lastIssuedPeriod === null || entry.usagePeriod > invoice.lastIssuedPeriod;
}

/**
 * The periods before the account's opening period whose calls the ledger consumed (a history of usage sent
 * with its calls' times, e.g. imported): they are invoiced too, without a plan fee, oldest first.
 */
export function usagePeriodsBefore(entries: readonly AccountEntry[], period: string): string[] {
  const found = new Set<string>();
  let timeZone = 'UTC';
  for (const { event } of entries) {
    if (event.type === 'BillingAccountOpened' || event.type === 'BillingAccountConfigured') timeZone = event.data.timeZone;
    if (event.type === 'CreditsConsumed') {
      const usagePeriod = usagePeriodOf(event.data, timeZone);
      if (usagePeriod < period) found.add(usagePeriod);
    }
  }
  return [...found].sort();
}

/** When the account opened, epoch ms (undefined: no account). */
export function accountOpenedAt(entries: readonly AccountEntry[]): number | undefined {
  for (const { event } of entries) if (event.type === 'BillingAccountOpened') return Date.parse(event.data.openedAt);
  return undefined;
}

/**
 * The facts of `period` from the account stream. `creditsAppliedFrom`: where the previous
 * invoice's credits stopped. The plan fee is the plan in force at the period's start (or at the
 * account's opening, for the period it opened in); a plan no longer in the catalogue is billed as
 * the catalogue's default.
 */
export function invoiceAccountFacts(
  entries: readonly AccountEntry[],
  period: BillingPeriod,
  catalogue: PlanCatalogue,
  creditsAppliedFrom: number,
  lastIssuedPeriod: string | null = null,
): InvoiceAccountFacts | undefined {
  const start = period.start;
  const end = period.end;
  let opened: { planId: string; at: number } | undefined;
  let planAtStart: string | undefined;
  let planAtEnd: string | undefined;
  let timeZone: string | undefined;
  /** The fee the period's BillingPeriodStarted recorded (prorated in the period an account opened in). */
  let startedFee: string | undefined;
  const prorations: ProrationInput[] = [];
  let drawn = dec(0);
  const through = Math.max(entries.length, creditsAppliedFrom);
  const invoice = { period: period.period, lastIssuedPeriod, creditsAppliedFrom, creditsAppliedThrough: through };
  for (const { revision, event } of entries) {
    switch (event.type) {
      case 'BillingAccountOpened':
        opened = { planId: event.data.planId, at: Date.parse(event.data.openedAt) };
        timeZone = event.data.timeZone;
        planAtEnd = event.data.planId;
        if (opened.at < start) planAtStart = event.data.planId;
        break;
      case 'BillingAccountConfigured':
        timeZone = event.data.timeZone;
        break;
      case 'CreditsConsumed':
        if (appliesToInvoice({ usagePeriod: usagePeriodOf(event.data, timeZone ?? 'UTC'), revision }, invoice)) for (const draw of event.data.draws) drawn = drawn.plus(draw.credits);
        break;
      case 'BillingPeriodStarted':
        if (event.data.period === period.period) startedFee = event.data.feeUsd;
        break;
      case 'PlanChanged': {
        const effective = Date.parse(event.data.effectiveAt);
        if (effective <= start) planAtStart = event.data.to;
        if (effective < end) planAtEnd = event.data.to;
        if (event.data.direction === 'upgrade' && event.data.period === period.period && event.data.proration) {
          const to = planOrDefault(catalogue, event.data.to);
          prorations.push({
            fromPlanId: event.data.from,
            toPlanId: event.data.to,
            toPlanName: to.name,
            feeUsd: event.data.proration.feeUsd,
            effectiveAt: event.data.effectiveAt,
            periodEnd: new Date(end).toISOString(),
            remainingDays: event.data.proration.remainingDays,
            periodDays: event.data.proration.periodDays,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  if (!opened || !timeZone) return undefined;
  const feePlan = planOrDefault(catalogue, planAtStart ?? opened.planId);
  if (opened.at >= end) {
    // a period before the account opened, whose calls the ledger consumed: usage and credits, no plan fee
    if (!usagePeriodsBefore(entries, periodOf(opened.at, timeZone)).includes(period.period)) return undefined;
    return { timeZone, planFee: null, prorations: [], creditsPerUsd: feePlan.creditsPerUsd, creditsDrawn: amountText(drawn), creditsAppliedThrough: through };
  }
  const ratePlan = findPlan(catalogue, planAtEnd ?? feePlan.id) ?? feePlan;
  // the period the account opened in, after its first day: its fee was prorated, and the invoice says so
  const remaining = remainingDays(opened.at, period.period, timeZone);
  const days = periodDays(period.period);
  if (opened.at > start && remaining < days && startedFee !== undefined && !dec(startedFee).eq(feePlan.monthlyFeeUsd)) {
    prorations.unshift({
      kind: 'opening',
      fromPlanId: feePlan.id,
      toPlanId: feePlan.id,
      toPlanName: feePlan.name,
      feeUsd: startedFee,
      effectiveAt: new Date(opened.at).toISOString(),
      periodEnd: new Date(end).toISOString(),
      remainingDays: remaining,
      periodDays: days,
    });
    return { timeZone, planFee: null, prorations, creditsPerUsd: ratePlan.creditsPerUsd, creditsDrawn: amountText(drawn), creditsAppliedThrough: through };
  }
  return {
    timeZone,
    planFee: {
      planId: feePlan.id,
      planName: feePlan.name,
      feeUsd: feePlan.monthlyFeeUsd,
      from: new Date(Math.max(start, opened.at)).toISOString(),
      to: new Date(end).toISOString(),
    },
    prorations,
    creditsPerUsd: ratePlan.creditsPerUsd,
    creditsDrawn: amountText(drawn),
    creditsAppliedThrough: through,
  };
}
