import type { Kysely } from 'kysely';
import { z } from 'zod';
import { BillingReadRepository } from '@steward/billing';
import {
  BudgetAdmission,
  BudgetAdmissionError,
  BudgetReadRepository,
  DEFAULT_RESERVATION_TTL_SECONDS,
  MAX_RESERVATION_TTL_SECONDS,
} from '@steward/budgets';
import {
  BudgetEnforcementSchema,
  BudgetErrorCode,
  BudgetLimitSchema,
  BudgetNameSchema,
  BudgetPeriodKindSchema,
  BudgetScopeSchema,
  BudgetThresholdsSchema,
  DEFAULT_BUDGET_THRESHOLDS,
  MAX_BUDGET_LIMIT_USD,
  PositiveAmountSchema,
  TimeZoneSchema,
  clientId,
  derivedId,
  newId,
  storedText,
} from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { WorkspaceOrganizations } from '@steward/team-rbac';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import type { WriteSettler } from '../../read-your-writes';
import { callerOf as defaultCallerOf, type Caller } from '../caller';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery } from '../route-params';
import { PERIOD_DAYS, PERIODS, WorkspaceChoice, checkRange } from '../usage-metering/usage-query.schema';
import { usageWorkspaces } from '../usage-metering/usage-access';
import { BudgetCommandSender } from './budget-command.sender';
import { BudgetAlertPageSchema, BudgetPageSchema, BudgetViewSchema, ReservationViewSchema } from './budget-views.schema';

export interface BudgetRoutesDeps {
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  readonly readYourWrites: WriteSettler;
  /** Over the database holding the read models (budgets, spend, billing's time zone, the team's). */
  readonly db: Kysely<unknown>;
  /** Reservation admission over the counter store (see @steward/budgets). */
  readonly admission: BudgetAdmission;
  /** The zone of a budget whose organization has no billing account yet (STEWARD_BILLING_TIME_ZONE). */
  readonly defaultTimeZone?: string;
  readonly callerOf?: (principal: Principal) => Caller;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const WsPath = z.strictObject({ wsId: PathId });
const BudgetPath = z.strictObject({ wsId: PathId, id: PathId });

const DefineBody = z.strictObject({
  name: BudgetNameSchema,
  /** Narrow the budget to an agent, a provider / model or an API key (`key_…`); left out: the whole workspace. */
  scope: BudgetScopeSchema.default({}),
  period: BudgetPeriodKindSchema,
  limitUsd: BudgetLimitSchema,
  /** Percent of the limit; default 50, 80, 100. */
  thresholds: BudgetThresholdsSchema.optional(),
  /** `notify` (default): alerts only; `block`: reservations past the limit are refused with a 402. */
  enforcement: BudgetEnforcementSchema.default('notify'),
  /** Whose local midnights cut the periods; default the organization's billing time zone. */
  timeZone: TimeZoneSchema.optional(),
});

const ChangeBody = z
  .strictObject({
    name: BudgetNameSchema.optional(),
    scope: BudgetScopeSchema.optional(),
    period: BudgetPeriodKindSchema.optional(),
    limitUsd: BudgetLimitSchema.optional(),
    thresholds: BudgetThresholdsSchema.optional(),
    enforcement: BudgetEnforcementSchema.optional(),
    timeZone: TimeZoneSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' });

const ReserveBody = z.strictObject({
  /** What the call is expected to cost at most, USD: held until the call's usage (carrying the reservation id) replaces it. */
  estimatedCostUsd: PositiveAmountSchema.refine((value) => Number(value) <= MAX_BUDGET_LIMIT_USD, `at most ${MAX_BUDGET_LIMIT_USD} USD`),
  agent: storedText(200).optional(),
  provider: storedText(100)
    .transform((provider) => provider.toLowerCase())
    .optional(),
  model: storedText(200).optional(),
  /** How long the hold lives without its usage (default 300, at most 3600). */
  ttlSeconds: z.number().int().min(1).max(MAX_RESERVATION_TTL_SECONDS).optional(),
});

const ReservationPath = z.strictObject({ wsId: PathId, id: clientId() });

const AlertsQuery = z
  .strictObject({
    workspaceId: WorkspaceChoice.default('all'),
    organizationId: PathId.optional(),
    period: z.enum(PERIODS).default('30d'),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    ...pageQuery,
  })
  .superRefine(checkRange);

/**
 * Budgets (DESIGN §8 "budgets"): define, list, change, remove (owners,
 * admins and billing members; everyone reads); reservations for hard limits
 * (people who may record usage and API keys with `usage:write`); the alerts
 * of the Usage Analytics screen. The gateway translates: definitions go to the
 * budgets service over NATS, admission to @steward/budgets' counter store.
 */
export function budgetRoutes(deps: BudgetRoutesDeps): AnyRoute[] {
  const reads = new BudgetReadRepository(deps.db);
  const billing = new BillingReadRepository(deps.db);
  const workspaces = new WorkspaceOrganizations({ db: deps.db });
  const now = () => deps.now?.() ?? new Date();
  const sender = new BudgetCommandSender({
    commands: deps.commands,
    natsPrefix: deps.natsPrefix,
    readYourWrites: deps.readYourWrites,
    ...(deps.commandTimeoutMs ? { timeoutMs: deps.commandTimeoutMs } : {}),
  });
  const caller = (principal: Principal | undefined): Caller => {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token');
    return (deps.callerOf ?? defaultCallerOf)(principal);
  };
  const target = (principal: Principal | undefined, commandId: string, workspaceId: string, requestId: string) => ({
    commandId,
    caller: caller(principal),
    workspaceId,
    requestId,
    issuedAt: now().toISOString(),
  });
  const found = async (workspaceId: string, budgetId: string) => {
    const budget = await reads.get(workspaceId, budgetId, now());
    if (!budget) throw new GatewayError(GatewayErrorCode.NotFound, 'no such budget');
    return budget;
  };
  const admissionFailure = (error: unknown): never => {
    if (error instanceof BudgetAdmissionError) {
      if (error.code === BudgetErrorCode.CountersRebuilding || error.code === BudgetErrorCode.Unavailable) {
        throw new GatewayError(GatewayErrorCode.Unavailable, error.message, { retryAfterSeconds: error.retryAfterSeconds ?? 1 });
      }
      throw error;
    }
    // the counter store cannot be reached: closed, never open (no hold could be counted)
    throw new GatewayError(GatewayErrorCode.Unavailable, 'the budget counters cannot be reached: retry', { retryAfterSeconds: 1, cause: error });
  };

  return [
    defineRoute({
      operationId: 'listBudgets',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/budgets',
      summary: "A workspace's budgets, each with its current period, spend and what is left",
      tags: ['budgets'],
      permission: 'budgets.read',
      scope: 'workspace',
      params: WsPath,
      query: z.strictObject(pageQuery),
      responses: { 200: BudgetPageSchema },
      handler: async ({ params, query }) => ({ status: 200, body: await reads.list(params.wsId, query, now()) }),
    }),
    defineRoute({
      operationId: 'defineBudget',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/budgets',
      summary: 'Define a budget: scope, daily / weekly / monthly period, USD limit, thresholds, notify or block',
      description: [
        'Periods begin at local midnight in the budget\'s time zone (default: the organization\'s billing time zone), DST included.',
        'Each threshold (percent of the limit) raises one alert per period. `block` refuses reservations that would take spend + live holds past the limit (402).',
      ].join(' '),
      tags: ['budgets'],
      permission: 'budgets.write',
      scope: 'workspace',
      params: WsPath,
      body: DefineBody,
      responses: { 201: BudgetViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId, organizationId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const budgetId = derivedId('budget', commandId);
        const organization = organizationId ?? (await workspaces.organizationOf(params.wsId));
        const timeZone = body.timeZone ?? (organization ? (await billing.account(organization))?.timeZone : undefined) ?? deps.defaultTimeZone ?? 'UTC';
        await sender.send(
          'DefineBudget',
          {
            workspaceId: params.wsId,
            budgetId,
            name: body.name,
            scope: body.scope,
            period: body.period,
            timeZone,
            limitUsd: body.limitUsd,
            thresholds: body.thresholds ?? [...DEFAULT_BUDGET_THRESHOLDS],
            enforcement: body.enforcement,
          },
          target(principal, commandId, params.wsId, requestId),
        );
        deps.admission.forget(params.wsId);
        return { status: 201, headers: { location: `/v1/workspaces/${params.wsId}/budgets/${budgetId}` }, body: await found(params.wsId, budgetId) };
      },
    }),
    defineRoute({
      operationId: 'getBudget',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/budgets/{id}',
      summary: 'One budget with its current period, spend and what is left',
      tags: ['budgets'],
      permission: 'budgets.read',
      scope: 'workspace',
      params: BudgetPath,
      responses: { 200: BudgetViewSchema },
      handler: async ({ params }) => ({ status: 200, body: await found(params.wsId, params.id) }),
    }),
    defineRoute({
      operationId: 'changeBudget',
      method: 'PATCH',
      path: '/v1/workspaces/{wsId}/budgets/{id}',
      summary: 'Change a budget: only the fields sent change; the period\'s spend and alerts so far stay',
      tags: ['budgets'],
      permission: 'budgets.write',
      scope: 'workspace',
      params: BudgetPath,
      body: ChangeBody,
      responses: { 200: BudgetViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        await sender.send('ChangeBudget', { workspaceId: params.wsId, budgetId: params.id, ...body }, target(principal, commandIdFor(principal, idempotencyKey), params.wsId, requestId));
        deps.admission.forget(params.wsId);
        return { status: 200, body: await found(params.wsId, params.id) };
      },
    }),
    defineRoute({
      operationId: 'removeBudget',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/budgets/{id}',
      summary: 'Remove a budget (its alerts stay)',
      tags: ['budgets'],
      permission: 'budgets.write',
      scope: 'workspace',
      params: BudgetPath,
      responses: { 204: null },
      handler: async ({ params, principal, requestId }) => {
        await sender.send('RemoveBudget', { workspaceId: params.wsId, budgetId: params.id }, target(principal, commandIdFor(principal, undefined), params.wsId, requestId));
        deps.admission.forget(params.wsId);
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'reserveBudget',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/budget-reservations',
      summary: 'Hold budget for a call before making it: 201 with the hold, or 402 naming the block budget it would exceed',
      description: [
        `Every \`block\` budget the call may fall under (a scope field the request leaves out could be anything) takes the hold, or none does.`,
        `Spend + live holds never pass a limit. The hold lives ttlSeconds (default ${DEFAULT_RESERVATION_TTL_SECONDS}); the call's usage carrying \`budgetReservationId\` replaces it by the actual cost, once; DELETE releases it.`,
        'While the counter store rebuilds after losing its data: 503 with Retry-After.',
      ].join(' '),
      tags: ['budgets'],
      permission: 'budgets.reserve',
      scope: 'workspace',
      params: WsPath,
      body: ReserveBody,
      responses: { 201: ReservationViewSchema },
      handler: async ({ params, body, principal, idempotencyKey }) => {
        const key = principal as { kind?: string; keyId?: string } | undefined;
        const reservationId = idempotencyKey ? derivedId('budgetReservation', commandIdFor(principal, idempotencyKey)) : newId('budgetReservation');
        try {
          const reservation = await deps.admission.reserve({
            workspaceId: params.wsId,
            reservationId,
            estimatedCostUsd: body.estimatedCostUsd,
            call: { agent: body.agent, provider: body.provider, model: body.model, apiKeyId: key?.kind === 'api_key' ? key.keyId : undefined },
            ttlSeconds: body.ttlSeconds,
          });
          return { status: 201, headers: { location: `/v1/workspaces/${params.wsId}/budget-reservations/${reservationId}` }, body: reservation };
        } catch (error) {
          return admissionFailure(error);
        }
      },
    }),
    defineRoute({
      operationId: 'releaseBudgetReservation',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/budget-reservations/{id}',
      summary: 'Release a hold (the call was not made); releasing again, or after its usage committed it, changes nothing',
      tags: ['budgets'],
      permission: 'budgets.reserve',
      scope: 'workspace',
      params: ReservationPath,
      responses: { 204: null },
      handler: async ({ params }) => {
        let released: boolean;
        try {
          released = await deps.admission.release(params.wsId, params.id);
        } catch (error) {
          return admissionFailure(error);
        }
        if (!released) throw new GatewayError(GatewayErrorCode.NotFound, 'no such reservation');
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'listBudgetAlerts',
      method: 'GET',
      path: '/v1/budget-alerts',
      summary: 'Budget alerts (Usage Analytics): thresholds crossed and low credit balances, newest first',
      description:
        'workspaceId: one, or `all` (every workspace you may read in one organization; a person of several names it with organizationId); period 7d/30d/90d/custom (from, to). Low credit balance alerts are the organization\'s and show with each of its workspaces.',
      tags: ['budgets'],
      permission: 'budgets.read',
      scope: 'none',
      tenantFrom: { workspace: { query: 'workspaceId' }, allWorkspaces: 'all', organization: { query: 'organizationId' } },
      query: AlertsQuery,
      responses: { 200: BudgetAlertPageSchema },
      handler: async ({ query, principal }) => {
        const workspaceIds = await usageWorkspaces(workspaces, principal, query.workspaceId, query.organizationId, 'budgets.read');
        const organizationId = (principal as { organizationId?: string } | undefined)?.organizationId;
        const to = query.period === 'custom' ? new Date(query.to!) : now();
        const from = query.period === 'custom' ? new Date(query.from!) : new Date(to.getTime() - PERIOD_DAYS[query.period] * 86_400_000);
        const page = organizationId === undefined ? { items: [], page: query.page, pageSize: query.pageSize, total: 0, pageCount: 0 } : await reads.alerts(organizationId, workspaceIds, { from, to }, query);
        return { status: 200, body: { ...page, from: from.toISOString(), to: to.toISOString(), workspaceIds } };
      },
    }),
  ];
}
