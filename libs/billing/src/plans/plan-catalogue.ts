import { PlanIdSchema } from '@steward/contracts';
import { BillingDecimal, amountText } from '../decimal';

/**
 * A plan of the catalogue. Plans are configuration, not events: an account
 * names its plan by id, and an event records the amounts a decision used
 * (a proration's fee and credits), so changing the catalogue never rewrites history.
 */
export interface Plan {
  readonly id: string;
  readonly name: string;
  /** The ordering of upgrades and downgrades: a higher rank is an upgrade. */
  readonly rank: number;
  /** USD per billing period (calendar month in the billing time zone), exact text. */
  readonly monthlyFeeUsd: string;
  /** Credits granted as plan allowance at each period start (expiring at its end). */
  readonly creditsPerPeriod: string;
  /** How many credits one USD of priced usage consumes. */
  readonly creditsPerUsd: string;
  readonly overdraft: {
    /** Credits the balance may go below zero before workspaces are suspended (an account may set its own). */
    readonly limit: string;
  };
}

export interface PlanCatalogue {
  readonly plans: readonly Plan[];
  /** The plan a new account starts on. */
  readonly defaultPlanId: string;
}

export const DEFAULT_PLAN_CATALOGUE: PlanCatalogue = Object.freeze({
  defaultPlanId: 'standard',
  plans: Object.freeze([
    { id: 'standard', name: 'Standard', rank: 1, monthlyFeeUsd: '49', creditsPerPeriod: '5000', creditsPerUsd: '100', overdraft: { limit: '0' } },
    { id: 'premium', name: 'Premium', rank: 2, monthlyFeeUsd: '199', creditsPerPeriod: '25000', creditsPerUsd: '100', overdraft: { limit: '5000' } },
    { id: 'enterprise', name: 'Enterprise', rank: 3, monthlyFeeUsd: '999', creditsPerPeriod: '150000', creditsPerUsd: '100', overdraft: { limit: '50000' } },
  ]),
});

const AMOUNT = /^(0|[1-9]\d{0,14})(\.\d{1,12})?$/;

export class PlanCatalogueError extends Error {
  override readonly name = 'PlanCatalogueError';
}

/** Checks a catalogue: ids valid and unique, ranks unique, amounts exact non-negative decimals, rates positive. */
export function validatePlanCatalogue(catalogue: PlanCatalogue): PlanCatalogue {
  const ids = new Set<string>();
  const ranks = new Set<number>();
  if (!Array.isArray(catalogue.plans) || catalogue.plans.length === 0) throw new PlanCatalogueError('the plan catalogue has no plans');
  const plans = catalogue.plans.map((plan, index) => {
    const where = `plans[${index}]`;
    if (!PlanIdSchema.safeParse(plan.id).success) throw new PlanCatalogueError(`${where}.id: not a plan id`);
    if (ids.has(plan.id)) throw new PlanCatalogueError(`${where}.id: ${plan.id} is listed twice`);
    ids.add(plan.id);
    if (!Number.isInteger(plan.rank) || ranks.has(plan.rank)) throw new PlanCatalogueError(`${where}.rank: a whole number, unique`);
    ranks.add(plan.rank);
    if (typeof plan.name !== 'string' || plan.name.trim() === '') throw new PlanCatalogueError(`${where}.name: required`);
    for (const [field, value] of [
      ['monthlyFeeUsd', plan.monthlyFeeUsd],
      ['creditsPerPeriod', plan.creditsPerPeriod],
      ['creditsPerUsd', plan.creditsPerUsd],
      ['overdraft.limit', plan.overdraft?.limit],
    ] as const) {
      if (typeof value !== 'string' || !AMOUNT.test(value)) throw new PlanCatalogueError(`${where}.${field}: an exact non-negative decimal as text`);
    }
    if (new BillingDecimal(plan.creditsPerUsd).isZero()) throw new PlanCatalogueError(`${where}.creditsPerUsd: must be greater than 0`);
    return Object.freeze({
      id: plan.id,
      name: plan.name,
      rank: plan.rank,
      monthlyFeeUsd: amountText(plan.monthlyFeeUsd),
      creditsPerPeriod: amountText(plan.creditsPerPeriod),
      creditsPerUsd: amountText(plan.creditsPerUsd),
      overdraft: Object.freeze({ limit: amountText(plan.overdraft.limit) }),
    });
  });
  if (!ids.has(catalogue.defaultPlanId)) throw new PlanCatalogueError(`defaultPlanId: ${catalogue.defaultPlanId} is not in the catalogue`);
  return Object.freeze({ defaultPlanId: catalogue.defaultPlanId, plans: Object.freeze(plans) });
}

/**
 * The catalogue from `STEWARD_BILLING_PLANS` (JSON: `{ "defaultPlanId": …, "plans": [Plan, …] }`),
 * else DEFAULT_PLAN_CATALOGUE. A broken value stops the process at start, naming the field.
 */
export function planCatalogueFromEnv(env: NodeJS.ProcessEnv = process.env): PlanCatalogue {
  const text = env.STEWARD_BILLING_PLANS;
  if (text === undefined || text.trim() === '') return DEFAULT_PLAN_CATALOGUE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PlanCatalogueError('STEWARD_BILLING_PLANS is not JSON');
  }
  try {
    return validatePlanCatalogue(parsed as PlanCatalogue);
  } catch (error) {
    throw new PlanCatalogueError(`STEWARD_BILLING_PLANS: ${(error as Error).message}`);
  }
}

export function findPlan(catalogue: PlanCatalogue, planId: string): Plan | undefined {
  return catalogue.plans.find((plan) => plan.id === planId);
}

/** The plan, or the catalogue's default when an account names one no longer configured (it keeps being billed). */
export function planOrDefault(catalogue: PlanCatalogue, planId: string): Plan {
  return findPlan(catalogue, planId) ?? findPlan(catalogue, catalogue.defaultPlanId)!;
}

/** Credits for an amount of priced usage in USD at the plan's rate: exact. */
export function creditsForUsd(usd: string, creditsPerUsd: string): string {
  return amountText(new BillingDecimal(usd).times(creditsPerUsd));
}

/** The USD value of credits at a rate (rounded to 12 places: a rate like 3 has no finite inverse). */
export function usdForCredits(credits: string, creditsPerUsd: string): string {
  return amountText(new BillingDecimal(credits).dividedBy(creditsPerUsd).toDecimalPlaces(12));
}
