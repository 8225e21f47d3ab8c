/**
 * An invoice's lines and totals from what the period holds, pure and exact:
 * the plan fee, each upgrade's proration as its own line, usage per workspace ×
 * provider × model × price (from the chargeback statement lines), adjustments
 * for issued periods whose usage changed since their invoice, and the credits
 * the ledger drew for usage. USD amounts are exact; the total due is rounded to
 * the cent (what a payment can carry), credits are exact.
 */
import { amountText, dec, usdCents, usdForCredits } from '@steward/billing';
import type { InvoiceLine, InvoiceLineItem, InvoiceTotals } from '@steward/contracts';
import type { PeriodUsageLine } from '@steward/usage-metering';
import type { InvoiceContent } from './invoice.decider';

export interface PlanFeeInput {
  readonly planId: string;
  readonly planName: string;
  readonly feeUsd: string;
  readonly from: string;
  readonly to: string;
}

export interface ProrationInput {
  /** An upgrade inside the period (default), or the period an account opened in, charged for the days left. */
  readonly kind?: 'upgrade' | 'opening';
  readonly fromPlanId: string;
  readonly toPlanId: string;
  readonly toPlanName: string;
  readonly feeUsd: string;
  readonly effectiveAt: string;
  readonly periodEnd: string;
  readonly remainingDays: number;
  readonly periodDays: number;
}

/** Usage in the shape invoices compare: quantities as whole-number text, cost exact. */
export type UsageFigures = Pick<
  PeriodUsageLine,
  'workspaceId' | 'provider' | 'model' | 'priceKey' | 'prices' | 'calls' | 'inputTokens' | 'cacheReadTokens' | 'cacheCreationTokens' | 'outputTokens' | 'reasoningTokens' | 'cost'
>;

export interface UsageAdjustment {
  /** The issued period whose usage changed. */
  readonly period: string;
  readonly delta: UsageFigures;
}

export interface InvoiceInputs {
  readonly creditsPerUsd: string;
  readonly planFee: PlanFeeInput | null;
  readonly prorations: readonly ProrationInput[];
  readonly usage: readonly UsageFigures[];
  readonly adjustments: readonly UsageAdjustment[];
  /** Credits the ledger drew from grants for usage in the invoice's ledger range (negative: refunds). */
  readonly creditsDrawn: string;
  readonly creditsAppliedThrough: number;
}

const TOKEN_FIELDS = [
  ['input', 'inputTokens', 'input'],
  ['cacheRead', 'cacheReadTokens', 'cacheRead'],
  ['cacheCreation', 'cacheCreationTokens', 'cacheCreation'],
  ['output', 'outputTokens', 'output'],
  ['reasoningOutput', 'reasoningTokens', 'reasoning'],
] as const;

export const usageKey = (line: Pick<UsageFigures, 'workspaceId' | 'provider' | 'model' | 'priceKey'>): string =>
  JSON.stringify([line.workspaceId, line.provider, line.model, line.priceKey]);

function items(usage: UsageFigures): InvoiceLineItem[] {
  return TOKEN_FIELDS.filter(([, field]) => usage[field] !== '0').map(([tokenType, field, price]) => {
    const unitPriceUsd = usage.prices[price];
    return {
      tokenType,
      quantity: usage[field],
      unitPriceUsd,
      amountUsd: unitPriceUsd === null ? '0' : amountText(dec(usage[field]).times(unitPriceUsd)),
    };
  });
}

function usageLine(usage: UsageFigures, credits: (usd: string) => string, adjustsPeriod?: string): InvoiceLine {
  const what = `${usage.provider} ${usage.model} in ${usage.workspaceId}`;
  return {
    kind: adjustsPeriod ? 'adjustment' : 'usage',
    description: adjustsPeriod ? `Late usage of ${adjustsPeriod}: ${what}` : `Usage: ${what}`,
    workspaceId: usage.workspaceId,
    provider: usage.provider,
    model: usage.model,
    priceKey: usage.priceKey,
    ...(adjustsPeriod ? { adjustsPeriod } : {}),
    calls: usage.calls,
    items: items(usage),
    amountUsd: amountText(usage.cost),
    amountCredits: credits(usage.cost),
  };
}

/** The difference between usage now and what was billed for it, per line key; keys unchanged are left out. */
export function usageDifferences(now: readonly UsageFigures[], billed: readonly UsageFigures[]): UsageFigures[] {
  const numeric = ['calls', 'inputTokens', 'cacheReadTokens', 'cacheCreationTokens', 'outputTokens', 'reasoningTokens', 'cost'] as const;
  const byKey = new Map<string, { now?: UsageFigures; billed?: UsageFigures }>();
  for (const line of now) byKey.set(usageKey(line), { ...byKey.get(usageKey(line)), now: line });
  for (const line of billed) byKey.set(usageKey(line), { ...byKey.get(usageKey(line)), billed: line });
  const differences: UsageFigures[] = [];
  for (const [, pair] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    const base = (pair.now ?? pair.billed)!;
    const delta = Object.fromEntries(numeric.map((field) => [field, amountText(dec(pair.now?.[field] ?? '0').minus(pair.billed?.[field] ?? '0'))])) as Record<
      (typeof numeric)[number],
      string
    >;
    if (numeric.every((field) => delta[field] === '0')) continue;
    differences.push({ workspaceId: base.workspaceId, provider: base.provider, model: base.model, priceKey: base.priceKey, prices: base.prices, ...delta });
  }
  return differences;
}

export function invoiceContent(inputs: InvoiceInputs): InvoiceContent {
  const rate = inputs.creditsPerUsd;
  const credits = (usd: string): string => amountText(dec(usd).times(rate));
  const lines: InvoiceLine[] = [];
  if (inputs.planFee) {
    const fee = inputs.planFee;
    lines.push({ kind: 'plan_fee', description: `${fee.planName} plan`, planId: fee.planId, from: fee.from, to: fee.to, amountUsd: amountText(fee.feeUsd), amountCredits: credits(fee.feeUsd) });
  }
  for (const proration of inputs.prorations) {
    lines.push({
      kind: 'proration',
      description:
        proration.kind === 'opening'
          ? `${proration.toPlanName} plan from the account's opening (${proration.remainingDays}/${proration.periodDays} of the period)`
          : `Upgrade to ${proration.toPlanName} (${proration.remainingDays}/${proration.periodDays} of the period)`,
      planId: proration.toPlanId,
      from: proration.effectiveAt,
      to: proration.periodEnd,
      amountUsd: amountText(proration.feeUsd),
      amountCredits: credits(proration.feeUsd),
    });
  }
  const sorted = [...inputs.usage].sort((a, b) => usageKey(a).localeCompare(usageKey(b)));
  for (const usage of sorted) lines.push(usageLine(usage, credits));
  for (const adjustment of inputs.adjustments) lines.push(usageLine(adjustment.delta, credits, adjustment.period));

  const subtotalUsd = lines.reduce((sum, line) => sum.plus(line.amountUsd), dec(0));
  const subtotalCredits = subtotalUsd.times(rate);
  const creditsApplied = dec(inputs.creditsDrawn);
  const creditsAppliedUsd = usdForCredits(amountText(creditsApplied.abs()), rate);
  const appliedUsd = creditsApplied.isNegative() ? dec(creditsAppliedUsd).negated() : dec(creditsAppliedUsd);
  if (!creditsApplied.isZero()) {
    lines.push({
      kind: 'credits_applied',
      description: 'Credits applied to usage',
      amountUsd: amountText(appliedUsd.negated()),
      amountCredits: amountText(creditsApplied.negated()),
    });
  }
  const dueUsd = subtotalUsd.minus(appliedUsd);
  const dueCredits = subtotalCredits.minus(creditsApplied);
  const totals: InvoiceTotals = {
    subtotalUsd: amountText(subtotalUsd),
    subtotalCredits: amountText(subtotalCredits),
    creditsApplied: amountText(creditsApplied),
    creditsAppliedUsd: amountText(appliedUsd),
    totalDueUsd: usdCents(dueUsd.isNegative() ? 0 : dueUsd),
    totalDueCredits: amountText(dueCredits.isNegative() ? 0 : dueCredits),
  };
  return { creditsPerUsd: rate, lines, totals, creditsAppliedThrough: inputs.creditsAppliedThrough };
}
