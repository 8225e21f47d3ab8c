import { BillingDecimal, amountText } from '@steward/billing';
import type { CreditDraw } from '@steward/contracts';

/** A grant as the ledger holds it: its remainder derived from the events that drew on it. */
export interface GrantState {
  readonly grantId: string;
  readonly kind: string;
  readonly amount: string;
  readonly priority: number;
  /** Epoch ms; undefined: never expires. */
  readonly expiresAt: number | undefined;
  /** Grant order in the ledger: the "oldest" of the draw order. */
  readonly order: number;
  /** What is left to draw. */
  readonly remaining: string;
  /** What draws took and refunds have not returned: what a refund may give back. */
  readonly drawn: string;
  readonly expired: boolean;
}

export interface LedgerState {
  readonly grants: Readonly<Record<string, GrantState>>;
  /** Credits taken beyond every grant (negative: credit on account a refund left with no grant to return to). */
  readonly overdraftUsed: string;
}

export interface Debit {
  readonly draws: CreditDraw[];
  /** Signed change of the overdraft in use. */
  readonly overdraft: string;
}

/** Draw order: priority (lower first), then earliest expiry (none last), then oldest. */
export function drawOrder(a: GrantState, b: GrantState): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ea = a.expiresAt ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return a.order - b.order;
}

/** Grants that can be drawn on or returned to at `at` (epoch ms): not expired, by event or by time. */
function liveGrants(ledger: LedgerState, at: number): GrantState[] {
  return Object.values(ledger.grants).filter((grant) => !grant.expired && (grant.expiresAt === undefined || grant.expiresAt > at));
}

/**
 * How `credits` (signed, exact) are taken from the ledger at `at`:
 * - positive: a credit left on account by an earlier refund first, then the
 *   live grants in draw order, each to its remainder, the rest into overdraft
 *   (usage is never refused for lack of credits: the balance goes negative and
 *   the overdraft policy decides what follows);
 * - negative (corrections lowered costs): the overdraft is paid back first,
 *   then draws are returned to live grants, last drawn first, each up to
 *   what was drawn from it; the rest is left as credit on account.
 */
export function planDebit(ledger: LedgerState, credits: string, at: number): Debit {
  let left = new BillingDecimal(credits);
  const draws: CreditDraw[] = [];
  let overdraft = new BillingDecimal(0);
  const used = new BillingDecimal(ledger.overdraftUsed);
  if (left.isPositive() && !left.isZero()) {
    if (used.isNegative()) {
      const take = BillingDecimal.min(used.negated(), left);
      overdraft = overdraft.plus(take);
      left = left.minus(take);
    }
    for (const grant of liveGrants(ledger, at).sort(drawOrder)) {
      if (left.isZero()) break;
      const remaining = new BillingDecimal(grant.remaining);
      if (remaining.lte(0)) continue;
      const take = BillingDecimal.min(remaining, left);
      draws.push({ grantId: grant.grantId, credits: amountText(take) });
      left = left.minus(take);
    }
    overdraft = overdraft.plus(left);
  } else if (left.isNegative()) {
    let refund = left.negated();
    if (used.isPositive()) {
      const back = BillingDecimal.min(used, refund);
      overdraft = overdraft.minus(back);
      refund = refund.minus(back);
    }
    for (const grant of liveGrants(ledger, at).sort(drawOrder).reverse()) {
      if (refund.isZero()) break;
      const drawn = new BillingDecimal(grant.drawn);
      if (drawn.lte(0)) continue;
      const back = BillingDecimal.min(drawn, refund);
      draws.push({ grantId: grant.grantId, credits: amountText(back.negated()) });
      refund = refund.minus(back);
    }
    overdraft = overdraft.minus(refund);
  }
  return { draws, overdraft: amountText(overdraft) };
}

/** The ledger after a debit's draws. */
export function applyDraws(ledger: LedgerState, draws: readonly CreditDraw[], overdraft: string): LedgerState {
  const grants = { ...ledger.grants };
  for (const draw of draws) {
    const grant = grants[draw.grantId];
    if (!grant) continue;
    grants[draw.grantId] = {
      ...grant,
      remaining: amountText(new BillingDecimal(grant.remaining).minus(draw.credits)),
      drawn: amountText(new BillingDecimal(grant.drawn).plus(draw.credits)),
    };
  }
  return { grants, overdraftUsed: amountText(new BillingDecimal(ledger.overdraftUsed).plus(overdraft)) };
}

/** Σ remainders of the grants not expired by an event, less the overdraft in use. */
export function ledgerBalance(ledger: LedgerState): string {
  let total = new BillingDecimal(0);
  for (const grant of Object.values(ledger.grants)) if (!grant.expired) total = total.plus(grant.remaining);
  return amountText(total.minus(ledger.overdraftUsed));
}
