import { z } from 'zod';

const Decimal = z.string().describe('an exact decimal as text');
const Time = z.string().describe('ISO 8601 instant');

const PeriodTotalSchema = z.object({
  period: z.string().describe('YYYY-MM in the billing time zone'),
  feesUsd: Decimal,
  usageUsd: Decimal,
  usageCredits: Decimal,
  totalUsd: Decimal,
});

/** GET /v1/organizations/{orgId}/billing: the dashboard's Current Billing and Current Plan cards. */
export const BillingOverviewSchema = z.object({
  organizationId: z.string(),
  opened: z.boolean(),
  plan: z.object({ id: z.string(), name: z.string(), monthlyFeeUsd: Decimal, creditsPerPeriod: Decimal, creditsPerUsd: Decimal }),
  scheduledChange: z.object({ planId: z.string(), planName: z.string(), effectiveAt: Time }).nullable(),
  credits: z.object({ available: Decimal, availableUsd: Decimal, overdraftLimit: Decimal }),
  suspended: z.boolean(),
  timeZone: z.string(),
  settings: z
    .object({
      timeZone: z.string(),
      overdraftLimit: Decimal.nullable().describe("the account's own limit; null: the plan's (credits.overdraftLimit is the one in force)"),
      lowBalanceThresholds: z.array(Decimal).describe('balances at which LowCreditBalanceReached is raised, highest first'),
    })
    .describe('Billing Configuration as PATCH …/billing changes it'),
  currentMonth: PeriodTotalSchema,
  lastMonth: PeriodTotalSchema,
  trend: z.object({
    percent: z.string().nullable().describe('signed, one decimal ("+12.5", "-3.0"); null when last month cost nothing'),
    direction: z.enum(['up', 'down', 'flat']),
    colour: z.enum(['green', 'red', 'neutral']).describe('a decrease is good (green), an increase red'),
  }),
  nextInvoiceDate: z.string().describe('YYYY-MM-DD: the first day of the next period in the billing time zone'),
  nextInvoiceAt: Time,
});

export const BillingSettingsViewSchema = z.object({
  timeZone: z.string(),
  overdraftLimit: Decimal.nullable().describe("null: the plan's overdraft limit"),
  lowBalanceThresholds: z.array(Decimal),
});

export const LedgerEntrySchema = z.object({
  id: z.string(),
  sequence: z.number().int(),
  kind: z.enum(['grant', 'consumption', 'expiry', 'adjustment']),
  at: Time,
  description: z.string(),
  credits: Decimal.describe('signed change of the balance'),
  usd: Decimal.nullable().describe('the priced usage behind a consumption'),
  balance: Decimal.describe('the balance after this entry'),
  details: z.record(z.string(), z.unknown()),
});

export const LedgerPageSchema = z.object({
  items: z.array(LedgerEntrySchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  pageCount: z.number().int(),
});

export const CreditsGrantedViewSchema = z.object({
  grantId: z.string(),
  kind: z.enum(['purchase', 'plan_allowance', 'promotional', 'manual_adjustment']),
  credits: Decimal,
  expiresAt: Time.nullable(),
  balance: Decimal.describe('available credits once the grant is recorded'),
});

export const CheckoutStartedSchema = z.object({
  provider: z.string(),
  sessionId: z.string(),
  url: z.string().describe('where the buyer pays; credits are granted when the provider confirms the payment'),
  credits: Decimal,
  amountUsd: Decimal,
});

export const CreditAdjustmentViewSchema = z.object({
  adjustmentId: z.string().describe('the grant id of a credit, the adjustment id of a debit'),
  amountCredits: Decimal.describe('signed: positive credited, negative debited'),
  reason: z.string(),
  adjustedBy: z.string(),
  balance: Decimal.describe('available credits once the adjustment is recorded'),
});

export const PlanViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  rank: z.number().int().describe('a higher rank is an upgrade'),
  monthlyFeeUsd: Decimal,
  creditsPerPeriod: Decimal.describe('plan allowance granted at each period start'),
  creditsPerUsd: Decimal,
  overdraft: z.object({ limit: Decimal.describe('credits the balance may go below zero before suspension') }),
});

export const PlanCatalogueViewSchema = z.object({ defaultPlanId: z.string(), items: z.array(PlanViewSchema) });
