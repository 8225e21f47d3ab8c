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
import { findPlan, periodDays, planOrDefault, remainingDays, type PlanCatalogue } from '@steward/billing';
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
  /** Σ of the credits CreditsConsumed drew from grants in [creditsAppliedFrom, creditsAppliedThrough) of the stream. */
  readonly creditsDrawn: string;
  /** The ledger entries applied end here: the first entry recorded at or after the period's end (the stream's length if none). */
  readonly creditsAppliedThrough: number;
}

function timeOf(event: BillingLedgerEvent): string | undefined {
  const data = event.data as Record<string, unknown>;
  for (const field of ['consumedAt', 'grantedAt', 'adjustedAt', 'expiredAt', 'openedAt', 'configuredAt', 'startedAt', 'changedAt', 'scheduledAt', 'cancelledAt', 'reachedAt', 'exhaustedAt', 'restoredAt']) {
    if (typeof data[field] === 'string') return data[field] as string;
  }
  return undefined;
}

/** The account's time zone as its stream says (undefined: no account). */
export function accountTimeZone(entries: readonly AccountEntry[]): string | undefined {
  let zone: string | undefined;
  for (const { event } of entries) {
    if (event.type === 'BillingAccountOpened' || event.type === 'BillingAccountConfigured') zone = event.data.timeZone;
  }
  return zone;
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
export function invoiceAccountFacts(entries: readonly AccountEntry[], period: BillingPeriod, catalogue: PlanCatalogue, creditsAppliedFrom: number): InvoiceAccountFacts | undefined {
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
  let through = entries.length;
  for (const { revision, event } of entries) {
    const at = Date.parse(timeOf(event) ?? '');
    if (Number.isFinite(at) && at >= end && through === entries.length) through = revision;
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
  for (const { revision, event } of entries) {
    if (revision < creditsAppliedFrom || revision >= through) continue;
    if (event.type === 'CreditsConsumed') for (const draw of event.data.draws) drawn = drawn.plus(draw.credits);
  }
  if (!opened || opened.at >= end || !timeZone) return undefined;
  const feePlan = planOrDefault(catalogue, planAtStart ?? opened.planId);
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
    return { timeZone, planFee: null, prorations, creditsPerUsd: ratePlan.creditsPerUsd, creditsDrawn: amountText(drawn), creditsAppliedThrough: Math.max(through, creditsAppliedFrom) };
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
    creditsAppliedThrough: Math.max(through, creditsAppliedFrom),
  };
}
