import { z } from 'zod';
import { DisplayNameSchema, WorkspaceStatusSchema, derivedId, freeText } from '@steward/contracts';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute } from '../../route';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery, pageSchema } from '../route-params';
import { can } from '@steward/auth';
import { isAuthPrincipal } from '../../auth/steward.authorizer';
import { announcementReader } from './announcement.routes';
import { TeamRouteKit } from './team-route.support';
import { CreatedOrganizationSchema, OVERVIEW_SECTIONS, OrganizationSchema, OverviewSchema, WorkspaceSchema } from './team-views.schema';

/** How many unread announcements the overview carries (the card links to the rest). */
const OVERVIEW_ANNOUNCEMENTS = 5;

const TAGS = ['organizations'];

/** Organizations and workspaces. */
export function organizationRoutes(kit: TeamRouteKit): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'createOrganization',
      method: 'POST',
      path: '/v1/organizations',
      summary: 'Create an organization (with its first workspace, you as owner)',
      tags: TAGS,
      // Every signed-in person may (team-rbac checks that they name themselves as owner); no API key may.
      permission: 'organization.create',
      scope: 'none',
      body: z.strictObject({ name: DisplayNameSchema, workspaceName: DisplayNameSchema.default('Main') }),
      responses: { 201: CreatedOrganizationSchema },
      handler: async ({ body, principal, idempotencyKey, requestId }) => {
        const caller = kit.person(principal);
        const email = caller.email ?? (await kit.profiles.getProfile(caller.userId))?.email ?? undefined;
        if (email === undefined) throw new GatewayError(GatewayErrorCode.BadRequest, 'your email is not known: sign in with a user token that carries it', { errors: [{ field: 'header.Authorization', message: 'a user token that carries your email' }] });
        const commandId = commandIdFor(principal, idempotencyKey);
        const organizationId = derivedId('organization', commandId);
        const workspaceId = derivedId('workspace', commandId);
        const issuedAt = kit.issuedAt();
        await kit.sender.send(
          'CreateOrganization',
          { organizationId, name: body.name, workspaceId, workspaceName: body.workspaceName, owner: { userId: caller.userId, email } },
          { commandId, caller, organizationId, workspaceId, requestId, issuedAt },
        );
        return {
          status: 201,
          headers: { location: `/v1/organizations/${organizationId}` },
          body: {
            id: organizationId,
            name: body.name,
            owner: { userId: caller.userId, email: email.toLowerCase() },
            createdAt: issuedAt,
            teamSize: 1,
            workspace: { id: workspaceId, organizationId, name: body.workspaceName, status: 'active', createdAt: issuedAt, updatedAt: issuedAt },
          },
        };
      },
    }),
    defineRoute({
      operationId: 'getOrganization',
      method: 'GET',
      path: '/v1/organizations/{orgId}',
      summary: 'An organization: name, owner, team size',
      tags: TAGS,
      permission: 'organization.read',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      responses: { 200: OrganizationSchema },
      handler: async ({ params, principal }) => {
        const organization = await kit.organizations.getOrganization(params.orgId);
        if (!organization) throw new GatewayError(GatewayErrorCode.NotFound, 'no such organization');
        kit.recordRead(principal, params.orgId, { resourceType: 'organization', action: 'fetch', resourceId: params.orgId });
        return { status: 200, body: organization };
      },
    }),
    defineRoute({
      operationId: 'getOrganizationOverview',
      method: 'GET',
      path: '/v1/organizations/{orgId}/overview',
      summary: 'The organization dashboard, each section as the caller\'s role allows; `withheld` names the sections left out',
      description:
        'Organization details and your unread announcements for every member; workspace counts for those who may view workspaces; the five newest activities (with `recentActivityCursor` to show more of the activity log) for those who read the log; Current Billing and Current Plan with credits for billing access (owner, admin, billing). A section the role may not see is absent and named in `withheld`.',
      tags: TAGS,
      permission: 'organization.read',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      responses: { 200: OverviewSchema },
      handler: async ({ params, principal }) => {
        const target = { organizationId: params.orgId };
        const mayViewWorkspaces = principal !== undefined && isAuthPrincipal(principal) && can(principal, 'workspace.read', target);
        // Recent Activities show only what the caller may read of the log (none for members and viewers: withheld).
        const activityWorkspaces = kit.visibleWorkspaces(principal, 'activity.read');
        const [overview, billing, announcements] = await Promise.all([
          kit.organizations.organizationOverview(params.orgId, { activityWorkspaces, workspaces: mayViewWorkspaces }),
          // the Current Billing and Current Plan cards: only for callers with billing access (dashboard guide)
          kit.deps.billingCards?.(principal, params.orgId),
          kit.announcements.listFor(announcementReader(kit, principal), { unread: true, pageSize: OVERVIEW_ANNOUNCEMENTS }),
        ]);
        if (!overview) throw new GatewayError(GatewayErrorCode.NotFound, 'no such organization');
        kit.recordRead(principal, params.orgId, {
          resourceType: 'organization',
          action: 'fetch',
          resourceId: params.orgId,
          summary: `Fetched the overview of organization ${params.orgId}`,
        });
        const sections = { ...overview, ...(billing !== undefined ? { billing } : {}) };
        const withheld = OVERVIEW_SECTIONS.filter((section) => sections[section] === undefined);
        return { status: 200, body: { ...sections, announcements: { unreadCount: announcements.unreadCount, items: announcements.items }, withheld } };
      },
    }),
    defineRoute({
      operationId: 'listWorkspaces',
      method: 'GET',
      path: '/v1/organizations/{orgId}/workspaces',
      summary: 'The workspaces of an organization, oldest first',
      tags: TAGS,
      permission: 'workspace.read',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      query: z.strictObject({ ...pageQuery, status: WorkspaceStatusSchema.optional() }),
      responses: { 200: pageSchema(WorkspaceSchema) },
      handler: async ({ params, query, principal }) => {
        const page = await kit.query(() => kit.organizations.listWorkspaces(params.orgId, query));
        kit.recordRead(principal, params.orgId, { resourceType: 'workspace', action: 'fetch_all' });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      operationId: 'createWorkspace',
      method: 'POST',
      path: '/v1/organizations/{orgId}/workspaces',
      summary: 'Create a workspace (active at once; you join it as owner)',
      tags: TAGS,
      permission: 'workspace.create',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      body: z.strictObject({ name: DisplayNameSchema }),
      responses: { 201: WorkspaceSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const caller = kit.person(principal);
        const email = caller.email ?? (await kit.profiles.getProfile(caller.userId))?.email ?? undefined;
        if (email === undefined) throw new GatewayError(GatewayErrorCode.BadRequest, 'your email is not known: sign in with a user token that carries it', { errors: [{ field: 'header.Authorization', message: 'a user token that carries your email' }] });
        const commandId = commandIdFor(principal, idempotencyKey);
        const workspaceId = derivedId('workspace', commandId);
        const issuedAt = kit.issuedAt();
        await kit.sender.send(
          'CreateWorkspace',
          { organizationId: params.orgId, workspaceId, name: body.name, ownerEmail: email },
          { commandId, caller, organizationId: params.orgId, workspaceId, requestId, issuedAt },
        );
        return {
          status: 201,
          headers: { location: `/v1/workspaces/${workspaceId}` },
          body: { id: workspaceId, organizationId: params.orgId, name: body.name, status: 'active', createdAt: issuedAt, updatedAt: issuedAt },
        };
      },
    }),
    defineRoute({
      operationId: 'getWorkspace',
      method: 'GET',
      path: '/v1/workspaces/{wsId}',
      summary: 'A workspace',
      tags: TAGS,
      permission: 'workspace.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      responses: { 200: WorkspaceSchema },
      handler: async ({ params, principal }) => {
        const organizationId = await kit.organizationOfWorkspace(params.wsId);
        const workspace = organizationId === undefined ? undefined : await kit.organizations.getWorkspace(organizationId, params.wsId);
        if (!workspace) throw new GatewayError(GatewayErrorCode.NotFound, 'no such workspace');
        kit.recordRead(principal, organizationId, { resourceType: 'workspace', action: 'fetch', resourceId: params.wsId, workspaceId: params.wsId });
        return { status: 200, body: workspace };
      },
    }),
    defineRoute({
      operationId: 'updateWorkspace',
      method: 'PATCH',
      path: '/v1/workspaces/{wsId}',
      summary: 'Rename a workspace or change its status',
      description: 'Status: active ⇄ suspended, attention from and back to any settled status; never back to provisioning (409).',
      tags: TAGS,
      permission: 'workspace.update',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      body: z.strictObject({
        name: DisplayNameSchema.optional(),
        status: z.enum(['active', 'suspended', 'attention']).optional(),
        reason: freeText(500).optional(),
      }),
      responses: { 200: WorkspaceSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        if (body.name === undefined && body.status === undefined) {
          throw new GatewayError(GatewayErrorCode.Validation, 'give a name, a status or both', { errors: [{ field: 'body', message: 'name or status is required' }] });
        }
        if (body.reason !== undefined && body.status === undefined) {
          throw new GatewayError(GatewayErrorCode.Validation, 'a reason goes with a status', { errors: [{ field: 'body.reason', message: 'only with status' }] });
        }
        const caller = kit.caller(principal);
        const organizationId = await kit.organizationOfWorkspace(params.wsId);
        const before = organizationId === undefined ? undefined : await kit.organizations.getWorkspace(organizationId, params.wsId);
        // The read model has every workspace the authorizer let through, but for the first milliseconds after its creation.
        if (!before) throw new GatewayError(GatewayErrorCode.NotFound, 'no such workspace');
        const issuedAt = kit.issuedAt();
        // one command: both changes land or neither, and a retry with the same Idempotency-Key is the same command
        await kit.sender.send(
          'UpdateWorkspace',
          {
            workspaceId: params.wsId,
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.status !== undefined ? { status: body.status } : {}),
            ...(body.reason !== undefined ? { reason: body.reason } : {}),
          },
          { caller, organizationId: before.organizationId, workspaceId: params.wsId, requestId, issuedAt, commandId: commandIdFor(principal, idempotencyKey) },
        );
        return { status: 200, body: { ...before, name: body.name ?? before.name, status: body.status ?? before.status, updatedAt: issuedAt } };
      },
    }),
  ];
}
