import type { Decider } from '@steward/commands';
import {
  BillingDecimal,
  amountText,
  findPlan,
  nextPeriod,
  periodDays,
  periodEnd,
  periodOf,
  periodStart,
  planOrDefault,
  remainingDays,
  usdCents,
  type Plan,
  type PlanCatalogue,
} from '@steward/billing';
import { BillingErrorCode, type BillingLedgerEvent, type CreditGrantKind } from '@steward/contracts';
import { applyDraws, ledgerBalance, planDebit, type GrantState, type LedgerState } from './credit-ledger';
import { BillingError } from './billing.error';

/*
 * The billing account of one organization: its plan, settings and credit
 * ledger, decided on one stream. Every command first brings the account up
 * to `at` — opens it (on the catalogue's default plan, the fee of the period it
 * opens in prorated for the days left), starts each period
 * that began since (a scheduled downgrade takes effect, the plan allowance of
 * the period is granted once: its id is `plan:<period>`), expires what is due
 * — then decides itself, then raises the balance's signals: a low-balance
 * threshold crossed, the overdraft limit passed (suspension) or regained.
 */

export interface DecisionContext {
  readonly organizationId: string;
  readonly actorId: string;
  /** ISO instant of the decision (the command's issuedAt, or the reactor's clock). */
  readonly at: string;
  readonly catalogue: PlanCatalogue;
  /** The time zone an account opened now gets. */
  readonly defaultTimeZone: string;
}

export type AccountCommand = { readonly context: DecisionContext } & (
  | { readonly type: 'Tick' }
  | { readonly type: 'ChangePlan'; readonly planId: string }
  | { readonly type: 'CancelPlanChange' }
  | {
      readonly type: 'GrantCredits';
      readonly grantId: string;
      readonly kind: CreditGrantKind;
      readonly amount: string;
      readonly priority?: number | undefined;
      readonly expiresAt?: string | undefined;
      readonly reason: string;
    }
  | { readonly type: 'AdjustCredits'; readonly adjustmentId: string; readonly credits: string; readonly reason: string }
  | {
      readonly type: 'ConfigureBilling';
      readonly timeZone?: string | undefined;
      readonly overdraftLimit?: string | null | undefined;
      readonly lowBalanceThresholds?: readonly string[] | undefined;
    }
  | {
      readonly type: 'ConsumeCredits';
      readonly usd: string;
      readonly source: { readonly first: string; readonly last: string; readonly events: number };
      /**
       * The batch's USD by the billing period of its calls (in the account's zone; Σ = usd): one CreditsConsumed
       * per part, oldest period first, each naming its `usagePeriod`. Absent: one CreditsConsumed without it.
       */
      readonly parts?: ReadonlyArray<{ readonly usagePeriod: string; readonly usd: string }> | undefined;
    }
);

/** Default priority of a grant by kind: promotional and plan credits are spent before purchased ones. */
export const DEFAULT_GRANT_PRIORITY: Readonly<Record<CreditGrantKind, number>> = {
  promotional: 10,
  plan_allowance: 20,
  manual_adjustment: 30,
  purchase: 40,
};

export interface OpenAccount extends LedgerState {
  readonly exists: true;
  readonly organizationId: string;
  readonly planId: string;
  readonly timeZone: string;
  /** null: the plan's overdraft limit. */
  readonly overdraftLimit: string | null;
  readonly thresholds: readonly string[];
  /** Thresholds that will raise LowCreditBalanceReached when the balance falls to them. */
  readonly armed: readonly string[];
  readonly period: string;
  readonly scheduled?: { readonly to: string; readonly period: string; readonly effectiveAt: string } | undefined;
  readonly grantCount: number;
  /** Adjustment id → its credits and reason (an id is used once). */
  readonly adjustments: Readonly<Record<string, { readonly credits: string; readonly reason: string }>>;
  /** The global position of the last usage event consumed: later batches start after it. */
  readonly consumedThrough?: string | undefined;
  readonly suspended: boolean;
}

export type BillingAccountState = { readonly exists: false } | OpenAccount;

export const initialAccountState: BillingAccountState = { exists: false };

function requireOpen(state: BillingAccountState): OpenAccount {
  if (!state.exists) throw new Error('the billing account is not open');
  return state;
}

/** The overdraft limit in force: the account's own, else its plan's. */
export function effectiveOverdraftLimit(state: OpenAccount, catalogue: PlanCatalogue): string {
  return state.overdraftLimit ?? planOrDefault(catalogue, state.planId).overdraft.limit;
}

export function accountBalance(state: OpenAccount): string {
  return ledgerBalance(state);
}

function armedAfterTopUp(state: OpenAccount): string[] {
  const balance = new BillingDecimal(ledgerBalance(state));
  return state.thresholds.filter((threshold) => state.armed.includes(threshold) || balance.gt(threshold));
}

export function evolveAccount(state: BillingAccountState, event: BillingLedgerEvent): BillingAccountState {
  switch (event.type) {
    case 'BillingAccountOpened': {
      const d = event.data;
      return {
        exists: true,
        organizationId: d.organizationId,
        planId: d.planId,
        timeZone: d.timeZone,
        overdraftLimit: d.overdraftLimit,
        thresholds: d.lowBalanceThresholds,
        armed: d.lowBalanceThresholds,
        period: d.period,
        grants: {},
        grantCount: 0,
        overdraftUsed: '0',
        adjustments: {},
        suspended: false,
      };
    }
    case 'BillingAccountConfigured': {
      const s = requireOpen(state);
      const balance = new BillingDecimal(ledgerBalance(s));
      const d = event.data;
      // a new threshold starts armed when the balance is above it; a kept one keeps its state
      const armed = d.lowBalanceThresholds.filter((threshold) => (s.thresholds.includes(threshold) ? s.armed.includes(threshold) : balance.gt(threshold)));
      return { ...s, timeZone: d.timeZone, overdraftLimit: d.overdraftLimit, thresholds: d.lowBalanceThresholds, armed };
    }
    case 'BillingPeriodStarted': {
      const s = requireOpen(state);
      return { ...s, period: event.data.period, planId: event.data.planId };
    }
    case 'PlanChanged': {
      const s = requireOpen(state);
      return { ...s, planId: event.data.to, scheduled: undefined };
    }
    case 'PlanChangeScheduled': {
      const s = requireOpen(state);
      const d = event.data;
      return { ...s, scheduled: { to: d.to, period: d.period, effectiveAt: d.effectiveAt } };
    }
    case 'PlanChangeCancelled':
      return { ...requireOpen(state), scheduled: undefined };
    case 'CreditsGranted': {
      const s = requireOpen(state);
      const d = event.data;
      const grant: GrantState = {
        grantId: d.grantId,
        kind: d.kind,
        amount: d.amount,
        priority: d.priority,
        expiresAt: d.expiresAt === undefined ? undefined : Date.parse(d.expiresAt),
        order: s.grantCount,
        remaining: amountText(new BillingDecimal(d.amount).minus(d.repaid)),
        drawn: '0',
        expired: false,
      };
      const next: OpenAccount = {
        ...s,
        grants: { ...s.grants, [d.grantId]: grant },
        grantCount: s.grantCount + 1,
        overdraftUsed: amountText(new BillingDecimal(s.overdraftUsed).minus(d.repaid)),
      };
      return { ...next, armed: armedAfterTopUp(next) };
    }
    case 'CreditsConsumed': {
      const s = requireOpen(state);
      return { ...s, ...applyDraws(s, event.data.draws, event.data.overdraft), consumedThrough: event.data.source.last };
    }
    case 'CreditsAdjusted': {
      const s = requireOpen(state);
      const d = event.data;
      return { ...s, ...applyDraws(s, d.draws, d.overdraft), adjustments: { ...s.adjustments, [d.adjustmentId]: { credits: d.credits, reason: d.reason } } };
    }
    case 'CreditsExpired': {
      const s = requireOpen(state);
      const grant = s.grants[event.data.grantId];
      if (!grant) return s;
      const remaining = amountText(new BillingDecimal(grant.remaining).minus(event.data.credits));
      return { ...s, grants: { ...s.grants, [grant.grantId]: { ...grant, remaining, expired: true } } };
    }
    case 'LowCreditBalanceReached': {
      const s = requireOpen(state);
      return { ...s, armed: s.armed.filter((threshold) => threshold !== event.data.threshold) };
    }
    case 'CreditsExhausted':
      return { ...requireOpen(state), suspended: true };
    case 'CreditsRestored':
      return { ...requireOpen(state), suspended: false };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

function parsePosition(text: string): { commit: bigint; prepare: bigint } {
  const [commit, prepare] = text.split('/');
  return { commit: BigInt(commit!), prepare: BigInt(prepare!) };
}

/** True when global position `a` (`commit/prepare`) is after `b`. */
export function positionAfter(a: string, b: string): boolean {
  const pa = parsePosition(a);
  const pb = parsePosition(b);
  return pa.commit !== pb.commit ? pa.commit > pb.commit : pa.prepare > pb.prepare;
}

class Decision {
  readonly events: BillingLedgerEvent[] = [];
  constructor(public state: BillingAccountState) {}

  emit(event: BillingLedgerEvent): void {
    this.events.push(event);
    this.state = evolveAccount(this.state, event);
  }

  get account(): OpenAccount {
    return requireOpen(this.state);
  }
}

function refuse(code: BillingErrorCode, message: string, field?: string): never {
  throw new BillingError(code, message, field);
}

/** Opens the account, starts the periods begun since, expires what is due. */
function bringUpToDate(decision: Decision, context: DecisionContext): void {
  const at = Date.parse(context.at);
  const { organizationId } = context;
  if (!decision.state.exists) {
    const plan = planOrDefault(context.catalogue, context.catalogue.defaultPlanId);
    const period = periodOf(at, context.defaultTimeZone);
    decision.emit({
      type: 'BillingAccountOpened',
      data: {
        organizationId,
        planId: plan.id,
        timeZone: context.defaultTimeZone,
        overdraftLimit: null,
        lowBalanceThresholds: [],
        period,
        openedBy: context.actorId,
        openedAt: context.at,
      },
    });
    startPeriod(decision, context, period, plan, at);
  }
  for (let guard = 0; guard < 1200; guard++) {
    const account = decision.account;
    const next = nextPeriod(account.period);
    const start = periodStart(next, account.timeZone);
    if (start > at) break;
    expireDue(decision, context, start);
    if (account.scheduled && account.scheduled.period === next) {
      decision.emit({
        type: 'PlanChanged',
        data: {
          organizationId,
          from: account.planId,
          to: account.scheduled.to,
          direction: 'downgrade',
          period: next,
          effectiveAt: new Date(start).toISOString(),
          changedBy: context.actorId,
          changedAt: context.at,
        },
      });
    }
    startPeriod(decision, context, next, planOrDefault(context.catalogue, decision.account.planId));
  }
  expireDue(decision, context, at);
}

/** The fee of the period an account opened in at `openedAt`: the share left, as an upgrade's proration (the day of opening counts). */
function openingFee(plan: Plan, period: string, timeZone: string, openedAt: number): string {
  const remaining = remainingDays(openedAt, period, timeZone);
  const days = periodDays(period);
  if (remaining >= days) return plan.monthlyFeeUsd;
  return usdCents(new BillingDecimal(plan.monthlyFeeUsd).times(remaining).dividedBy(days));
}

/** Starts `period` on `plan`; `openedAt`: the account opened inside it, and pays its fee for the days left only. */
function startPeriod(decision: Decision, context: DecisionContext, period: string, plan: Plan, openedAt?: number): void {
  const { timeZone } = decision.account;
  const start = periodStart(period, timeZone);
  const end = periodEnd(period, timeZone);
  decision.emit({
    type: 'BillingPeriodStarted',
    data: {
      organizationId: context.organizationId,
      period,
      planId: plan.id,
      feeUsd: openedAt === undefined ? plan.monthlyFeeUsd : openingFee(plan, period, timeZone, openedAt),
      periodStart: new Date(start).toISOString(),
      periodEnd: new Date(end).toISOString(),
      startedAt: context.at,
    },
  });
  if (new BillingDecimal(plan.creditsPerPeriod).gt(0)) {
    grant(decision, context, {
      grantId: `plan:${period}`,
      kind: 'plan_allowance',
      amount: plan.creditsPerPeriod,
      priority: DEFAULT_GRANT_PRIORITY.plan_allowance,
      expiresAt: new Date(end).toISOString(),
      reason: `${plan.name} plan allowance for ${period}`,
      grantedBy: 'system',
    });
  }
}

function expireDue(decision: Decision, context: DecisionContext, at: number): void {
  const due = Object.values(decision.account.grants)
    .filter((grant) => !grant.expired && grant.expiresAt !== undefined && grant.expiresAt <= at)
    .sort((a, b) => a.expiresAt! - b.expiresAt! || a.order - b.order);
  for (const grant of due) {
    decision.emit({
      type: 'CreditsExpired',
      data: {
        organizationId: context.organizationId,
        grantId: grant.grantId,
        // a grant in debt (a refund returned less than was drawn) expires with nothing left
        credits: amountText(BillingDecimal.max(grant.remaining, 0)),
        expiredAt: new Date(grant.expiresAt!).toISOString(),
      },
    });
  }
}

interface GrantInput {
  readonly grantId: string;
  readonly kind: CreditGrantKind;
  readonly amount: string;
  readonly priority: number;
  readonly expiresAt?: string | undefined;
  readonly reason: string;
  readonly grantedBy: string;
}

function grant(decision: Decision, context: DecisionContext, input: GrantInput): void {
  const used = new BillingDecimal(decision.account.overdraftUsed);
  // a top-up pays the overdraft back first (a grant that expires before it is used repays nothing)
  const repaid = used.isPositive() ? BillingDecimal.min(used, input.amount) : new BillingDecimal(0);
  decision.emit({
    type: 'CreditsGranted',
    data: {
      organizationId: context.organizationId,
      grantId: input.grantId,
      kind: input.kind,
      amount: amountText(input.amount),
      priority: input.priority,
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
      repaid: amountText(repaid),
      grantedBy: input.grantedBy,
      reason: input.reason,
      grantedAt: context.at,
    },
  });
}

/** LowCreditBalanceReached for each armed threshold the balance is at or below; suspension and restore. */
function balanceSignals(decision: Decision, context: DecisionContext): void {
  const account = decision.account;
  const balance = new BillingDecimal(ledgerBalance(account));
  const crossed = account.thresholds
    .filter((threshold) => account.armed.includes(threshold) && balance.lte(threshold))
    .sort((a, b) => new BillingDecimal(b).comparedTo(a));
  for (const threshold of crossed) {
    decision.emit({
      type: 'LowCreditBalanceReached',
      data: { organizationId: context.organizationId, threshold, balance: amountText(balance), reachedAt: context.at },
    });
  }
  const limit = effectiveOverdraftLimit(decision.account, context.catalogue);
  const past = balance.lt(new BillingDecimal(limit).negated());
  if (past && !decision.account.suspended) {
    decision.emit({
      type: 'CreditsExhausted',
      data: { organizationId: context.organizationId, balance: amountText(balance), overdraftLimit: limit, exhaustedAt: context.at },
    });
  } else if (!past && decision.account.suspended) {
    decision.emit({ type: 'CreditsRestored', data: { organizationId: context.organizationId, balance: amountText(balance), restoredAt: context.at } });
  }
}

function changePlan(decision: Decision, context: DecisionContext, planId: string): void {
  const target = findPlan(context.catalogue, planId);
  if (!target) refuse(BillingErrorCode.UnknownPlan, `no plan ${planId} in the catalogue`, 'planId');
  const account = decision.account;
  const current = planOrDefault(context.catalogue, account.planId);
  const { organizationId } = context;
  if (target.id === account.planId) {
    // asking for the plan one is on withdraws a scheduled downgrade
    if (account.scheduled) decision.emit({ type: 'PlanChangeCancelled', data: { organizationId, to: account.scheduled.to, cancelledBy: context.actorId, cancelledAt: context.at } });
    return;
  }
  if (target.rank < current.rank) {
    if (account.scheduled?.to === target.id) return;
    const period = nextPeriod(account.period);
    decision.emit({
      type: 'PlanChangeScheduled',
      data: {
        organizationId,
        from: account.planId,
        to: target.id,
        period,
        effectiveAt: new Date(periodStart(period, account.timeZone)).toISOString(),
        scheduledBy: context.actorId,
        scheduledAt: context.at,
      },
    });
    return;
  }
  if (account.scheduled) decision.emit({ type: 'PlanChangeCancelled', data: { organizationId, to: account.scheduled.to, cancelledBy: context.actorId, cancelledAt: context.at } });
  const at = Date.parse(context.at);
  const remaining = remainingDays(at, account.period, account.timeZone);
  const days = periodDays(account.period);
  const share = (amount: BillingDecimal): BillingDecimal => BillingDecimal.max(amount, 0).times(remaining).dividedBy(days);
  const feeUsd = usdCents(share(new BillingDecimal(target.monthlyFeeUsd).minus(current.monthlyFeeUsd)));
  const credits = amountText(share(new BillingDecimal(target.creditsPerPeriod).minus(current.creditsPerPeriod)).toDecimalPlaces(12, BillingDecimal.ROUND_DOWN));
  decision.emit({
    type: 'PlanChanged',
    data: {
      organizationId,
      from: account.planId,
      to: target.id,
      direction: 'upgrade',
      period: account.period,
      effectiveAt: context.at,
      proration: { remainingDays: remaining, periodDays: days, feeUsd, credits },
      changedBy: context.actorId,
      changedAt: context.at,
    },
  });
  if (new BillingDecimal(credits).gt(0)) {
    grant(decision, context, {
      grantId: `plan:${account.period}:${target.id}`,
      kind: 'plan_allowance',
      amount: credits,
      priority: DEFAULT_GRANT_PRIORITY.plan_allowance,
      expiresAt: new Date(periodEnd(account.period, account.timeZone)).toISOString(),
      reason: `${target.name} plan allowance for the rest of ${account.period} (${remaining}/${days} days)`,
      grantedBy: context.actorId,
    });
  }
}

function decideCommand(decision: Decision, command: AccountCommand): void {
  const { context } = command;
  const { organizationId } = context;
  switch (command.type) {
    case 'Tick':
      return;
    case 'ChangePlan':
      return changePlan(decision, context, command.planId);
    case 'CancelPlanChange': {
      const scheduled = decision.account.scheduled;
      if (!scheduled) refuse(BillingErrorCode.NothingScheduled, 'no plan change is scheduled');
      decision.emit({ type: 'PlanChangeCancelled', data: { organizationId, to: scheduled.to, cancelledBy: context.actorId, cancelledAt: context.at } });
      return;
    }
    case 'GrantCredits': {
      const priority = command.priority ?? DEFAULT_GRANT_PRIORITY[command.kind];
      const existing = decision.account.grants[command.grantId];
      if (existing) {
        const same =
          existing.kind === command.kind &&
          new BillingDecimal(existing.amount).eq(command.amount) &&
          existing.priority === priority &&
          existing.expiresAt === (command.expiresAt === undefined ? undefined : Date.parse(command.expiresAt));
        if (same) return;
        refuse(BillingErrorCode.IdTaken, `grant ${command.grantId} exists with other content`, 'grantId');
      }
      if (command.expiresAt !== undefined && Date.parse(command.expiresAt) <= Date.parse(context.at)) {
        refuse(BillingErrorCode.ExpiryInPast, 'expiresAt must be in the future', 'expiresAt');
      }
      grant(decision, context, { ...command, priority, grantedBy: context.actorId });
      return;
    }
    case 'AdjustCredits': {
      const existing = decision.account.adjustments[command.adjustmentId];
      if (existing) {
        if (new BillingDecimal(existing.credits).eq(command.credits) && existing.reason === command.reason) return;
        refuse(BillingErrorCode.IdTaken, `adjustment ${command.adjustmentId} exists with other content`, 'adjustmentId');
      }
      const debit = planDebit(decision.account, command.credits, Date.parse(context.at));
      decision.emit({
        type: 'CreditsAdjusted',
        data: {
          organizationId,
          adjustmentId: command.adjustmentId,
          credits: amountText(command.credits),
          draws: debit.draws,
          overdraft: debit.overdraft,
          adjustedBy: context.actorId,
          reason: command.reason,
          adjustedAt: context.at,
        },
      });
      return;
    }
    case 'ConfigureBilling': {
      const account = decision.account;
      const settings = {
        timeZone: command.timeZone ?? account.timeZone,
        overdraftLimit: command.overdraftLimit === undefined ? account.overdraftLimit : command.overdraftLimit === null ? null : amountText(command.overdraftLimit),
        lowBalanceThresholds:
          command.lowBalanceThresholds === undefined
            ? [...account.thresholds]
            : [...new Set(command.lowBalanceThresholds.map((threshold) => amountText(threshold)))].sort((a, b) => new BillingDecimal(b).comparedTo(a)),
      };
      const unchanged =
        settings.timeZone === account.timeZone &&
        settings.overdraftLimit === account.overdraftLimit &&
        JSON.stringify(settings.lowBalanceThresholds) === JSON.stringify(account.thresholds);
      if (unchanged) return;
      decision.emit({ type: 'BillingAccountConfigured', data: { organizationId, ...settings, configuredBy: context.actorId, configuredAt: context.at } });
      return;
    }
    case 'ConsumeCredits': {
      const account = decision.account;
      // the idempotency key: a batch at or before the last one consumed was counted already
      if (account.consumedThrough !== undefined && !positionAfter(command.source.first, account.consumedThrough)) return;
      const plan = planOrDefault(context.catalogue, account.planId);
      const parts = command.parts ? [...command.parts].sort((a, b) => a.usagePeriod.localeCompare(b.usagePeriod)) : [{ usagePeriod: undefined, usd: command.usd }];
      if (command.parts) {
        const sum = command.parts.reduce((total, part) => total.plus(part.usd), new BillingDecimal(0));
        if (!sum.eq(command.usd)) throw new Error(`the parts of a consumption add up to ${amountText(sum)}, not ${amountText(command.usd)}`);
      }
      for (const part of parts) {
        if (command.parts && new BillingDecimal(part.usd).isZero()) continue;
        const credits = amountText(new BillingDecimal(part.usd).times(plan.creditsPerUsd));
        // each part draws on what the parts before it left
        const debit = planDebit(decision.account, credits, Date.parse(context.at));
        decision.emit({
          type: 'CreditsConsumed',
          data: {
            organizationId,
            source: { ...command.source },
            usd: amountText(part.usd),
            creditsPerUsd: plan.creditsPerUsd,
            credits,
            draws: debit.draws,
            overdraft: debit.overdraft,
            consumedAt: context.at,
            ...(part.usagePeriod === undefined ? {} : { usagePeriod: part.usagePeriod }),
          },
        });
      }
      return;
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

export function decideAccount(command: AccountCommand, state: BillingAccountState): BillingLedgerEvent[] {
  const decision = new Decision(state);
  bringUpToDate(decision, command.context);
  decideCommand(decision, command);
  balanceSignals(decision, command.context);
  return decision.events;
}

export const billingAccountDecider: Decider<AccountCommand, BillingAccountState, BillingLedgerEvent> = {
  decide: decideAccount,
  evolve: evolveAccount,
  initialState: initialAccountState,
};
