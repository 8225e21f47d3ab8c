import type { Kysely } from 'kysely';
import { ProfileReadRepository, WorkspaceOrganizations } from '@steward/team-rbac';
import {
  ChargebackQueryError,
  ChargebackRepository,
  DAY_MS,
  DEFAULT_CREDITS_PER_USD,
  ceilQuarter,
  floorQuarter,
  type StatementGroupInCredits,
  type TokenFigures,
  type UsageScope,
} from '@steward/usage-metering';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { EventsQuery, PERIOD_DAYS, StatementQuery, SummaryQuery, TimelineQuery, type Period } from './usage-query.schema';
import { usageTimeZone, usageWorkspaces } from './usage-access';
import {
  UsageByModelSchema,
  UsageEventsSchema,
  UsageModelsSchema,
  UsageStatementSchema,
  UsageSummarySchema,
  UsageTimelineSchema,
} from './usage-views.schema';

export interface UsageRoutesDeps {
  /** Over the database holding the chargeback and team read models. */
  readonly db: Kysely<unknown>;
  /** Credits per USD on the statement (usage-metering's creditsPerUsdFromEnv: STEWARD_CREDITS_PER_USD); default 100. */
  readonly creditsPerUsd?: string;
  /** Credits per USD of an organization's plan (billing's): when given, the statement uses it instead of `creditsPerUsd`. */
  readonly creditsPerUsdOf?: (organizationId: string) => Promise<string>;
  readonly now?: () => Date;
}

interface Filters {
  workspaceId: string;
  organizationId?: string | undefined;
  period: Period;
  from?: string | undefined;
  to?: string | undefined;
  agent?: string | undefined;
  tz?: string | undefined;
}

/** A read-model refusal names its query parameter, as every 400 does. */
async function query<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (ChargebackQueryError.is(error)) {
      const field = `query.${error.field}`;
      throw new GatewayError(GatewayErrorCode.Validation, error.message, { errors: [{ field, message: error.message }], cause: error });
    }
    throw error;
  }
}

function tokensOf(tokens: TokenFigures) {
  return {
    total: tokens.total,
    input: tokens.input,
    output: tokens.output,
    cacheRead: tokens.cacheRead,
    cacheCreation: tokens.cacheCreation,
    reasoningOutput: tokens.reasoningOutput,
  };
}

/** The chargeback routes (DESIGN §8): the Usage Analytics screens and the monthly usage statement. */
export function usageRoutes(deps: UsageRoutesDeps): AnyRoute[] {
  const repository = new ChargebackRepository({ db: deps.db });
  const workspaces = new WorkspaceOrganizations({ db: deps.db });
  const profiles = new ProfileReadRepository({ db: deps.db });
  const creditsPerUsd = deps.creditsPerUsd ?? DEFAULT_CREDITS_PER_USD;
  const now = (): number => (deps.now?.() ?? new Date()).getTime();

  async function scopeOf(principal: Principal | undefined, filters: Filters): Promise<{ scope: UsageScope; timeZone: string; range: { workspaceIds: string[]; from: string; to: string; timeZone: string } }> {
    const workspaceIds = await usageWorkspaces(workspaces, principal, filters.workspaceId, filters.organizationId);
    const timeZone = await usageTimeZone(profiles, principal, filters.tz);
    let from: number;
    let to: number;
    if (filters.period === 'custom') {
      from = floorQuarter(Date.parse(filters.from!));
      to = ceilQuarter(Date.parse(filters.to!));
    } else {
      to = ceilQuarter(now());
      from = to - PERIOD_DAYS[filters.period] * DAY_MS;
    }
    const scope: UsageScope = { workspaceIds, from, to, ...(filters.agent !== undefined ? { agent: filters.agent } : {}) };
    return { scope, timeZone, range: { workspaceIds, from: new Date(from).toISOString(), to: new Date(to).toISOString(), timeZone } };
  }

  const common = {
    method: 'GET' as const,
    tags: ['usage'],
    permission: 'usage.read',
    scope: 'none' as const,
    // the workspace named decides (a person of several organizations acts in its organization)
    tenantFrom: { workspace: { query: 'workspaceId' }, allWorkspaces: 'all', organization: { query: 'organizationId' } },
  };
  const filterHelp =
    'Filters: workspaceId (one, or `all`: every workspace you may read in one organization — a person of several organizations names it with organizationId), period 7d/30d/90d/custom (custom: from and to, at most 400 days), agent, tz (IANA; default your profile time zone, else UTC). Ranges are aligned to the quarter hour.';

  return [
    defineRoute({
      ...common,
      operationId: 'getUsageSummary',
      path: '/v1/usage/summary',
      summary: 'Usage summary: total cost and calls, tokens, average response time, success rate, cost per token, unpriced calls',
      description: filterHelp,
      query: SummaryQuery,
      responses: { 200: UsageSummarySchema },
      handler: async ({ query: filters, principal }) => {
        const { scope, range } = await scopeOf(principal, filters);
        const summary = await query(() => repository.summary(scope));
        return {
          status: 200,
          body: {
            ...range,
            totalCost: summary.totalCost,
            calls: summary.calls,
            errors: summary.errors,
            tokens: tokensOf(summary.tokens),
            averageResponseTimeMs: summary.averageResponseTimeMs,
            successRate: summary.successRate,
            costPerToken: summary.costPerToken,
            unpricedCalls: summary.unpricedCalls,
            pricingConfigured: summary.pricingConfigured,
          },
        };
      },
    }),
    defineRoute({
      ...common,
      operationId: 'getUsageTimeline',
      path: '/v1/usage/timeline',
      summary: 'Cost and tokens per hour, day, week or month, in a time zone',
      description: `${filterHelp} interval: hour, day (default), week (from Monday) or month; buckets follow the zone's DST changes (a 23- or 25-hour day).`,
      query: TimelineQuery,
      responses: { 200: UsageTimelineSchema },
      handler: async ({ query: filters, principal }) => {
        const { scope, timeZone, range } = await scopeOf(principal, filters);
        const points = await query(() => repository.timeline(scope, filters.interval, timeZone));
        return {
          status: 200,
          body: {
            ...range,
            interval: filters.interval,
            points: points.map((point) => ({
              bucket: point.bucket,
              start: point.start,
              end: point.end,
              cost: point.cost,
              calls: point.calls,
              errors: point.errors,
              unpricedCalls: point.unpricedCalls,
              tokens: tokensOf(point.tokens),
            })),
          },
        };
      },
    }),
    defineRoute({
      ...common,
      operationId: 'getUsageByModel',
      path: '/v1/usage/by-model',
      summary: 'Cost share per model',
      description: filterHelp,
      query: SummaryQuery,
      responses: { 200: UsageByModelSchema },
      handler: async ({ query: filters, principal }) => {
        const { scope, range } = await scopeOf(principal, filters);
        const shares = await query(() => repository.costShares(scope));
        return {
          status: 200,
          body: {
            ...range,
            totalCost: shares.totalCost,
            models: shares.models.map((model) => ({
              provider: model.provider,
              model: model.model,
              cost: model.cost,
              share: model.share,
              calls: model.calls,
            })),
          },
        };
      },
    }),
    defineRoute({
      ...common,
      operationId: 'listUsageModels',
      path: '/v1/usage/models',
      summary: 'Model usage statistics: provider, model, calls, tokens, cost, average latency',
      description: filterHelp,
      query: SummaryQuery,
      responses: { 200: UsageModelsSchema },
      handler: async ({ query: filters, principal }) => {
        const { scope, range } = await scopeOf(principal, filters);
        const models = await query(() => repository.modelUsage(scope));
        return {
          status: 200,
          body: {
            ...range,
            items: models.map((model) => ({
              provider: model.provider,
              model: model.model,
              calls: model.calls,
              errors: model.errors,
              unpricedCalls: model.unpricedCalls,
              tokens: tokensOf(model.tokens),
              cost: model.cost,
              averageResponseTimeMs: model.averageResponseTimeMs,
            })),
          },
        };
      },
    }),
    defineRoute({
      ...common,
      operationId: 'listUsageEvents',
      path: '/v1/usage/events',
      summary: 'Recent usage: one row per call, newest first (page, pageSize → total, pageCount)',
      description: filterHelp,
      query: EventsQuery,
      responses: { 200: UsageEventsSchema },
      handler: async ({ query: filters, principal }) => {
        const { scope, range } = await scopeOf(principal, filters);
        const page = await query(() => repository.listCalls(scope, { page: filters.page, pageSize: filters.pageSize }));
        return {
          status: 200,
          body: {
            ...range,
            ...page,
            items: page.items.map((item) => ({
              id: item.id,
              workspaceId: item.workspaceId,
              usageId: item.usageId,
              source: item.source,
              timestamp: item.timestamp,
              agent: item.agent,
              provider: item.provider,
              model: item.model,
              tokens: {
                total: item.totalTokens,
                input: item.inputTokens,
                output: item.outputTokens,
                cacheRead: item.cacheReadTokens,
                cacheCreation: item.cacheCreationTokens,
                reasoningOutput: item.reasoningTokens,
              },
              cost: item.cost,
              responseTimeMs: item.responseTimeMs,
              status: item.status,
              errorType: item.errorType,
              priced: item.priced,
              jobId: item.jobId,
              corrections: item.corrections,
            })),
          },
        };
      },
    }),
    defineRoute({
      ...common,
      operationId: 'getUsageStatement',
      path: '/v1/usage/statement',
      summary: 'The monthly usage statement: per model and per job, quantity, unit price and total, in USD and in credits',
      description:
        'workspaceId (one, or `all` with organizationId for a person of several organizations), month (YYYY-MM, a UTC calendar month; default the current one). Lines per token type: quantity × unit price = total; credits at the organization’s plan rate (credits per USD of its billing plan). A group total is the exact sum of its calls’ costs, price corrections included.',
      query: StatementQuery,
      responses: { 200: UsageStatementSchema },
      handler: async ({ query: filters, principal }) => {
        const workspaceIds = await usageWorkspaces(workspaces, principal, filters.workspaceId, filters.organizationId);
        const month = filters.month ?? new Date(now()).toISOString().slice(0, 7);
        // the statement is one organization's (usageWorkspaces never spans two): its plan's rate
        const organizationId = (principal as { organizationId?: string } | undefined)?.organizationId;
        const rate = deps.creditsPerUsdOf && organizationId !== undefined ? await deps.creditsPerUsdOf(organizationId) : creditsPerUsd;
        const statement = await query(() => repository.statement(workspaceIds, `${month}-01`, rate));
        const group = (entry: StatementGroupInCredits) => ({
          jobId: entry.jobId,
          provider: entry.provider,
          model: entry.model,
          priced: entry.priced,
          calls: entry.calls,
          lines: entry.lines.map((line) => ({
            tokenType: line.tokenType,
            quantity: line.quantity,
            unitPrice: line.unitPrice,
            unitPriceCredits: line.unitPriceCredits,
            totalUsd: line.total,
            totalCredits: line.totalCredits,
          })),
          totalUsd: entry.total,
          totalCredits: entry.totalCredits,
        });
        return {
          status: 200,
          body: {
            workspaceIds,
            month,
            creditsPerUsd: statement.creditsPerUsd,
            models: statement.models.map(group),
            jobs: statement.jobs.map(group),
            calls: statement.calls,
            unpricedCalls: statement.unpricedCalls,
            totalUsd: statement.total,
            totalCredits: statement.totalCredits,
          },
        };
      },
    }),
  ];
}
