import { z } from 'zod';
import { InstantSchema, SearchTermSchema, nameText, text } from '@steward/contracts';
import { ACTIVITY_ACTIONS, ACTIVITY_OUTCOMES, MAX_ACTIVITY_LIMIT, type ActivityFilters } from '@steward/team-rbac';
import type { Action } from '@steward/auth';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { PathId } from '../route-params';
import { TeamRouteKit } from './team-route.support';
import { ActivityPageSchema } from './team-views.schema';

const filters = {
  resourceType: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'resource types look like `api_key`').optional(),
  action: z.enum(ACTIVITY_ACTIONS).optional(),
  /** The actor's id. */
  actor: nameText(200).optional(),
  actorType: z.enum(['user', 'api_key', 'service', 'system']).optional(),
  workspaceId: PathId.optional(),
  outcome: z.enum(ACTIVITY_OUTCOMES).optional(),
  /** Inclusive. */
  from: InstantSchema.optional(),
  /** Exclusive. */
  to: InstantSchema.optional(),
  /** Free text: the summary, the resource id or the actor id. */
  q: SearchTermSchema.optional(),
};

type FilterQuery = z.output<z.ZodObject<typeof filters>>;

function filtersOf(query: FilterQuery): ActivityFilters {
  const { q, ...rest } = query;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return { ...defined, ...(q !== undefined ? { search: q } : {}) };
}

/**
 * What the caller may see of the log (the matrix's per-workspace rule): an owner everything, an admin (or,
 * for reading, a billing member) of some workspaces the entries of those workspaces only.
 */
function visibleTo(kit: TeamRouteKit, principal: Principal | undefined, action: Action): Pick<ActivityFilters, 'workspaceIds'> {
  const workspaces = kit.visibleWorkspaces(principal, action);
  return workspaces === 'all' ? {} : { workspaceIds: workspaces };
}

/**
 * The organization's activity log: a cursor-paged list and a CSV export. An owner reads all of it; a
 * workspace admin reads the entries of the workspaces they administer (libs/auth `perWorkspace`).
 */
export function activityRoutes(kit: TeamRouteKit): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'listActivity',
      method: 'GET',
      path: '/v1/organizations/{orgId}/activity',
      summary: 'The activity log, newest first (cursor pagination: pass nextCursor back as cursor); a workspace admin sees their workspaces only',
      tags: ['activity'],
      permission: 'activity.read',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      query: z.strictObject({ ...filters, cursor: text({ max: 500, singleLine: true }).optional(), limit: z.coerce.number().int().min(1).max(MAX_ACTIVITY_LIMIT).default(50) }),
      responses: { 200: ActivityPageSchema },
      handler: async ({ params, query, principal }) => {
        const { cursor, limit, ...rest } = query;
        const filters = { ...filtersOf(rest), ...visibleTo(kit, principal, 'activity.read') };
        const page = await kit.query(() => kit.activity.listActivity(params.orgId, { ...filters, limit, ...(cursor !== undefined ? { cursor } : {}) }));
        kit.recordRead(principal, params.orgId, { resourceType: 'activity', action: 'fetch_all' });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      operationId: 'exportActivity',
      method: 'GET',
      path: '/v1/organizations/{orgId}/activity/export',
      summary: 'The filtered activity log as CSV, streamed',
      tags: ['activity'],
      permission: 'activity.export',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      query: z.strictObject({ ...filters, format: z.enum(['csv']).default('csv') }),
      responses: { 200: null },
      openApi: { responseContent: { 200: { mediaType: 'text/csv', schema: { type: 'string', description: 'CSV with a header line, UTF-8' } } } },
      handler: async ({ params, query, principal }) => {
        const { format, ...rest } = query;
        const lines = kit.activity.streamActivityCsv(params.orgId, { ...filtersOf(rest), ...visibleTo(kit, principal, 'activity.export') });
        // the first line is read before the answer starts: a filter the repository refuses is still a 400
        const first = await kit.query(() => lines.next());
        kit.recordRead(principal, params.orgId, { resourceType: 'activity', action: 'fetch_all', summary: 'Exported activity as CSV' });
        async function* all(): AsyncGenerator<string> {
          if (!first.done) yield first.value;
          yield* lines;
        }
        const day = new Date().toISOString().slice(0, 10);
        return {
          status: 200,
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="activity-${params.orgId}-${day}.${format}"`,
            'cache-control': 'no-store',
          },
          stream: all(),
        };
      },
    }),
  ];
}
