import type { Kysely } from 'kysely';
import { z } from 'zod';
import { can, type Principal as AuthPrincipal } from '@steward/auth';
import {
  BillingDecimal,
  BillingReadRepository,
  amountText,
  findPlan,
  ledgerCsvHeader,
  ledgerCsvLine,
  manualPaymentProvider,
  planOrDefault,
  usdCents,
  type BillingOverview,
  type PaymentProvider,
  type PlanCatalogue,
} from '@steward/billing';
import { AmountSchema, InstantSchema, LedgerReasonSchema, PlanIdSchema, PositiveAmountSchema, TimeZoneSchema, nameText } from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { isAuthPrincipal } from '../../auth/steward.authorizer';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import type { WriteSettler } from '../../read-your-writes';
import { callerOf as defaultCallerOf, type Caller } from '../caller';
import { commandIdFor, derivedUuid } from '../command-ids';
import { PathId, pageQuery } from '../route-params';
import { BillingCommandSender } from './billing-command.sender';
import {
  BillingOverviewSchema,
  BillingSettingsViewSchema,
  CheckoutStartedSchema,
  CreditAdjustmentViewSchema,
  CreditsGrantedViewSchema,
  LedgerPageSchema,
  PlanCatalogueViewSchema,
} from './billing-views.schema';

export interface BillingRoutesDeps {
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  readonly readYourWrites: WriteSettler;
  /** Over the database holding the billing read model. */
  readonly db: Kysely<unknown>;
  readonly catalogue: PlanCatalogue;
  /** Where "Add Credits" pays. Default: the manual provider (owners and billing members grant directly). */
  readonly payments?: PaymentProvider;
  /** The time zone of an organization whose account is not open yet (STEWARD_BILLING_TIME_ZONE). */
  readonly defaultTimeZone?: string;
  readonly callerOf?: (principal: Principal) => Caller;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const OrgPath = z.strictObject({ orgId: PathId });

const ChangePlanBody = z.strictObject({
  /** A plan of the catalogue: an upgrade applies now (prorated), a downgrade at the next period start; the current plan withdraws a scheduled downgrade. */
  planId: PlanIdSchema,
});

const GRANTABLE_KINDS = ['purchase', 'promotional', 'manual_adjustment'] as const;

const AddCreditsBody = z.strictObject({
  credits: PositiveAmountSchema,
  kind: z.enum(GRANTABLE_KINDS).default('purchase'),
  /** Lower is drawn first (default by kind: promotional 10, plan 20, manual 30, purchase 40). */
  priority: z.number().int().min(0).max(1000).optional(),
  expiresAt: InstantSchema.optional(),
  reason: nameText(500).optional(),
  /** With a checkout provider: where the buyer returns to. */
  successUrl: z.url().max(2000).optional(),
  cancelUrl: z.url().max(2000).optional(),
});

const SettingsBody = z
  .strictObject({
    timeZone: TimeZoneSchema.optional(),
    overdraftLimit: AmountSchema.nullable().optional(),
    lowBalanceThresholds: z.array(AmountSchema).max(10).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one setting to change' });

const SIGNED_AMOUNT = /^-?(0|[1-9]\d{0,14})(\.\d{1,12})?$/;

const AdjustmentBody = z.strictObject({
  /** Signed exact decimal: positive credits the account (a manual_adjustment grant), negative debits it (CreditsAdjusted). */
  amountCredits: z
    .string()
    .min(1)
    .max(41)
    .refine((value) => SIGNED_AMOUNT.test(value), 'a signed exact decimal of credits as text, at most 12 decimal places, e.g. "-250" or "100.5"')
    .refine((value) => !SIGNED_AMOUNT.test(value) || /[1-9]/.test(value), 'must not be 0'),
  /** Why: shown on the bank statement with who made it. */
  reason: LedgerReasonSchema,
});

const LedgerQuery = z.strictObject({ ...pageQuery, format: z.enum(['json', 'csv']).optional() });

/** Whether the caller may see billing (owner, admin, billing role): the dashboard's cards are theirs only. */
export function hasBillingAccess(principal: Principal | undefined, organizationId: string): boolean {
  return principal !== undefined && isAuthPrincipal(principal) && can(principal as AuthPrincipal, 'billing.read', { organizationId });
}

/**
 * Billing (organization dashboard's Current Billing and Current Plan cards;
 * account guide's Billing and Usage; Team Settings' Billing & Credits):
 * the cards, the plan, credits (a grant, or a checkout URL with a payment
 * provider that has one), the bank statement (JSON pages or CSV), the
 * billing configuration. Owners and billing members change it; admins read it.
 */
export function billingRoutes(deps: BillingRoutesDeps): AnyRoute[] {
  const reads = new BillingReadRepository(deps.db);
  const payments = deps.payments ?? manualPaymentProvider;
  const defaultTimeZone = deps.defaultTimeZone ?? 'UTC';
  const now = () => deps.now?.() ?? new Date();
  const sender = new BillingCommandSender({
    commands: deps.commands,
    natsPrefix: deps.natsPrefix,
    readYourWrites: deps.readYourWrites,
    ...(deps.commandTimeoutMs ? { timeoutMs: deps.commandTimeoutMs } : {}),
  });
  const caller = (principal: Principal | undefined): Caller => {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token');
    return (deps.callerOf ?? defaultCallerOf)(principal);
  };
  const target = (principal: Principal | undefined, commandId: string, organizationId: string, requestId: string) => ({
    commandId,
    caller: caller(principal),
    organizationId,
    requestId,
    issuedAt: now().toISOString(),
  });
  const overview = (organizationId: string): Promise<BillingOverview> => reads.overview(organizationId, deps.catalogue, now(), defaultTimeZone);
  const plans = {
    defaultPlanId: deps.catalogue.defaultPlanId,
    items: [...deps.catalogue.plans]
      .sort((a, b) => a.rank - b.rank)
      .map((plan) => ({
        id: plan.id,
        name: plan.name,
        rank: plan.rank,
        monthlyFeeUsd: plan.monthlyFeeUsd,
        creditsPerPeriod: plan.creditsPerPeriod,
        creditsPerUsd: plan.creditsPerUsd,
        overdraft: { limit: plan.overdraft.limit },
      })),
  };

  return [
    defineRoute({
      operationId: 'getBilling',
      method: 'GET',
      path: '/v1/organizations/{orgId}/billing',
      summary: 'Billing at a glance: plan, available credits (and in USD), this and last month, trend, next invoice date',
      description: [
        'The dashboard\'s Current Billing and Current Plan cards in one answer.',
        'A month is a calendar month in the billing time zone; its total is the plan fee (and upgrade prorations) plus the priced usage consumed in it, USD.',
        'The trend is (this month − last month) / last month: a decrease is good (colour green).',
      ].join(' '),
      tags: ['billing'],
      permission: 'billing.read',
      scope: 'organization',
      params: OrgPath,
      responses: { 200: BillingOverviewSchema },
      handler: async ({ params }) => ({ status: 200, body: await overview(params.orgId) }),
    }),
    defineRoute({
      operationId: 'changeBillingPlan',
      method: 'PUT',
      path: '/v1/organizations/{orgId}/billing/plan',
      summary: 'Change the plan: an upgrade now, prorated for the rest of the period; a downgrade at the next period start',
      description: 'Sending the current plan withdraws a scheduled downgrade. An unknown plan is a 400 naming body.planId. Answers the cards as they are after the change.',
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: OrgPath,
      body: ChangePlanBody,
      responses: { 200: BillingOverviewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        if (!findPlan(deps.catalogue, body.planId)) {
          throw new GatewayError(GatewayErrorCode.Validation, `no plan ${body.planId}`, {
            errors: [{ field: 'body.planId', message: `one of ${deps.catalogue.plans.map((plan) => plan.id).join(', ')}` }],
          });
        }
        await sender.send('ChangePlan', { organizationId: params.orgId, planId: body.planId }, target(principal, commandIdFor(principal, idempotencyKey), params.orgId, requestId));
        return { status: 200, body: await overview(params.orgId) };
      },
    }),
    defineRoute({
      operationId: 'updateBillingSettings',
      method: 'PATCH',
      path: '/v1/organizations/{orgId}/billing',
      summary: 'Billing configuration: billing time zone, overdraft limit, low-balance thresholds',
      description: 'Only the fields sent change. `overdraftLimit: null` returns to the plan\'s policy. The time zone cuts the billing periods from the next one on.',
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: OrgPath,
      body: SettingsBody,
      responses: { 200: BillingSettingsViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        await sender.send('ConfigureBilling', { organizationId: params.orgId, ...body }, target(principal, commandIdFor(principal, idempotencyKey), params.orgId, requestId));
        const account = await reads.account(params.orgId);
        return {
          status: 200,
          body: { timeZone: account?.timeZone ?? defaultTimeZone, overdraftLimit: account?.overdraftLimit ?? null, lowBalanceThresholds: account?.lowBalanceThresholds ?? [] },
        };
      },
    }),
    defineRoute({
      operationId: 'addBillingCredits',
      method: 'POST',
      path: '/v1/organizations/{orgId}/billing/credits',
      summary: 'Add credits: granted at once (201), or a checkout URL when a payment provider takes the payment (202)',
      description: [
        'With the manual provider (the default) the credits are granted at once and the answer gives the new balance.',
        'With a provider that has a checkout (Stripe), a purchase answers 202 with the URL where the buyer pays; the credits are granted when the provider confirms the payment.',
        'Promotional credits and manual adjustments are always granted at once. With an Idempotency-Key a retry grants nothing twice.',
      ].join(' '),
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: OrgPath,
      body: AddCreditsBody,
      responses: { 201: CreditsGrantedViewSchema, 202: CheckoutStartedSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        if (body.expiresAt !== undefined && Date.parse(body.expiresAt) <= now().getTime()) {
          throw new GatewayError(GatewayErrorCode.Validation, 'expiresAt is in the past', { errors: [{ field: 'body.expiresAt', message: 'must be in the future' }] });
        }
        const commandId = commandIdFor(principal, idempotencyKey);
        if (body.kind === 'purchase' && payments.hasCheckout) {
          const account = await reads.account(params.orgId);
          const plan = planOrDefault(deps.catalogue, account?.planId ?? deps.catalogue.defaultPlanId);
          const amountUsd = usdCents(new BillingDecimal(body.credits).dividedBy(plan.creditsPerUsd));
          const session = await payments.createCheckout({
            organizationId: params.orgId,
            credits: body.credits,
            amountUsd,
            idempotencyKey: commandId,
            requestedBy: caller(principal).actor.id,
            ...(body.successUrl ? { successUrl: body.successUrl } : {}),
            ...(body.cancelUrl ? { cancelUrl: body.cancelUrl } : {}),
          });
          return { status: 202, body: { provider: session.provider, sessionId: session.sessionId, url: session.url, credits: body.credits, amountUsd } };
        }
        const grantId = `grant-${derivedUuid(commandId)}`;
        const reason = body.reason ?? (body.kind === 'purchase' ? `Credits added by ${caller(principal).actor.id}` : body.kind === 'promotional' ? 'Promotional credits' : 'Manual adjustment');
        await sender.send(
          'GrantCredits',
          {
            organizationId: params.orgId,
            grantId,
            kind: body.kind,
            amount: body.credits,
            reason,
            ...(body.priority !== undefined ? { priority: body.priority } : {}),
            ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
          },
          target(principal, commandId, params.orgId, requestId),
        );
        const account = await reads.account(params.orgId);
        return {
          status: 201,
          headers: { location: `/v1/organizations/${params.orgId}/billing/ledger` },
          body: { grantId, kind: body.kind, credits: body.credits, expiresAt: body.expiresAt ?? null, balance: account?.balance ?? body.credits },
        };
      },
    }),
    defineRoute({
      operationId: 'adjustBillingCredits',
      method: 'POST',
      path: '/v1/organizations/{orgId}/billing/credits/adjustments',
      summary: 'A manual adjustment of the credit balance: a signed amount of credits with its reason',
      description: [
        'A positive amount credits the account (a grant of kind manual_adjustment, never expiring); a negative one debits it (drawn from grants like usage, into the overdraft past them).',
        'Either appears on the ledger with who made it (`details.grantedBy` or `details.adjustedBy`) and why (the description).',
        'With an Idempotency-Key a retry adjusts nothing twice.',
      ].join(' '),
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: OrgPath,
      body: AdjustmentBody,
      responses: { 201: CreditAdjustmentViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const adjustmentId = `adjustment-${derivedUuid(commandId)}`;
        const amount = new BillingDecimal(body.amountCredits);
        const credits = amountText(amount.abs());
        const sent = target(principal, commandId, params.orgId, requestId);
        if (amount.isNegative()) {
          await sender.send('AdjustCredits', { organizationId: params.orgId, adjustmentId, credits, reason: body.reason }, sent);
        } else {
          await sender.send('GrantCredits', { organizationId: params.orgId, grantId: adjustmentId, kind: 'manual_adjustment', amount: credits, reason: body.reason }, sent);
        }
        const account = await reads.account(params.orgId);
        return {
          status: 201,
          headers: { location: `/v1/organizations/${params.orgId}/billing/ledger` },
          body: {
            adjustmentId,
            amountCredits: amountText(amount),
            reason: body.reason,
            adjustedBy: caller(principal).actor.id,
            balance: account?.balance ?? '0',
          },
        };
      },
    }),
    defineRoute({
      operationId: 'listBillingPlans',
      method: 'GET',
      path: '/v1/billing/plans',
      summary: 'The plan catalogue: each plan with its monthly fee, credits included per period, credits per USD and overdraft policy',
      description: 'The plans configured in STEWARD_BILLING_PLANS, lowest rank first (a higher rank is an upgrade). Any signed-in person may read them.',
      tags: ['billing'],
      permission: 'billing.plans.read',
      scope: 'none',
      responses: { 200: PlanCatalogueViewSchema },
      handler: () => ({ status: 200, body: plans }),
    }),
    defineRoute({
      operationId: 'getBillingLedger',
      method: 'GET',
      path: '/v1/organizations/{orgId}/billing/ledger',
      summary: 'The credit ledger as a bank statement: every grant, consumption batch, expiry and adjustment with the running balance',
      description: 'Newest first, paged. `?format=csv` (or `Accept: text/csv`) exports every entry, oldest first, as CSV.',
      tags: ['billing'],
      permission: 'billing.read',
      scope: 'organization',
      params: OrgPath,
      query: LedgerQuery,
      responses: { 200: LedgerPageSchema },
      openApi: { responseContent: { 200: { mediaType: 'text/csv', schema: { type: 'string', description: 'CSV with a header line, UTF-8, oldest entry first' } } } },
      handler: async ({ params, query, headers }) => {
        const wantsCsv = query.format === 'csv' || (query.format === undefined && /\btext\/csv\b/i.test(String(headers.accept ?? '')));
        if (!wantsCsv) return { status: 200, body: await reads.ledger(params.orgId, query.page, query.pageSize) };
        const chunks = reads.ledgerChunks(params.orgId);
        const first = await chunks.next();
        async function* csv(): AsyncGenerator<string> {
          yield ledgerCsvHeader();
          if (first.done) return;
          yield first.value.map(ledgerCsvLine).join('');
          for await (const chunk of chunks) yield chunk.map(ledgerCsvLine).join('');
        }
        return {
          status: 200,
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="ledger-${params.orgId}-${now().toISOString().slice(0, 10)}.csv"`,
            'cache-control': 'no-store',
          },
          stream: csv(),
        };
      },
    }),
  ];
}

/** The dashboard overview's billing cards: for callers with billing access, else undefined (the cards are left out). */
export function billingCards(deps: Pick<BillingRoutesDeps, 'db' | 'catalogue' | 'defaultTimeZone' | 'now'>): (principal: Principal | undefined, organizationId: string) => Promise<BillingOverview | undefined> {
  const reads = new BillingReadRepository(deps.db);
  return async (principal, organizationId) =>
    hasBillingAccess(principal, organizationId) ? reads.overview(organizationId, deps.catalogue, deps.now?.() ?? new Date(), deps.defaultTimeZone ?? 'UTC') : undefined;
}

