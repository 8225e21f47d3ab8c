import { ActionSchema, AuthError, AuthErrorCode, assertCan, can, type Action, type Principal as AuthPrincipal } from '@steward/auth';
import type { WorkspaceOrganizations } from '@steward/team-rbac';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import type { AnyRoute, AuthorizationCheck, AuthorizationDecision, Authorizer, Principal } from '../route';
import { membershipOrganization, organizationWideOrganizations, personIn, type StewardUserPrincipal } from './person.principal';

export interface StewardAuthorizerDeps {
  /** Where a workspace's organization is looked up (for organization-wide roles), from the team context. */
  readonly workspaces: WorkspaceOrganizations;
}

/** Whether the gateway principal is a libs/auth principal (what StewardAuthenticator returns). */
export function isAuthPrincipal(principal: Principal): principal is Principal & AuthPrincipal {
  const candidate = principal as Partial<AuthPrincipal>;
  if (candidate.kind === 'api_key') return typeof candidate.organizationId === 'string';
  // a person of no organization has none (every tenant is then out of scope)
  return candidate.kind === 'user' && (candidate.organizationId === undefined || typeof candidate.organizationId === 'string');
}

/**
 * The gateway's authorization, by @steward/auth's matrix:
 *
 * 1. Tenant wall: the route's organization must be the principal's; its
 *    workspace must be one the principal is a member of (or, for an
 *    organization owner, a workspace of its organization; for an API key, its
 *    own workspace). Otherwise `not-found` (404): another tenant's things do
 *    not exist for the caller.
 * 2. The matrix (`assertCan`): allowed → `allow`; refused → a 403 "Access
 *    Restricted" carrying libs/auth's detail (ADMIN_ONLY_DETAIL on an admin
 *    area). It is thrown rather than answered `forbidden` so that this detail,
 *    not the pipeline's generic one, reaches the caller.
 *
 * A person of several organizations is first narrowed to the organization of
 * the target (`actingPrincipal`): the path's or query's organization, the
 * organization of the named workspace (a membership, else a workspace of an
 * organization where they hold an organization-wide role), and for a check
 * naming no tenant the first of their organizations that allows the action.
 * A target in none of their organizations leaves them as they are: the wall
 * then answers 404.
 *
 * A permission that is not a libs/auth Action is refused (`forbidden`);
 * `assertRoutePermissions` catches such routes at start-up.
 */
export class StewardAuthorizer implements Authorizer {
  constructor(private readonly deps: StewardAuthorizerDeps) {}

  async actingPrincipal(principal: Principal, check: AuthorizationCheck): Promise<Principal> {
    if (!isPerson(principal) || principal.organizationIds.length <= 1) return principal;
    if (check.scope === 'organization') return (check.organizationId !== undefined ? personIn(principal, check.organizationId) : undefined) ?? principal;
    if (check.scope === 'workspace') {
      if (check.workspaceId === undefined || Object.hasOwn(principal.memberships, check.workspaceId)) return principal;
      const organizationId = await this.organizationOf(principal, check.workspaceId);
      return (organizationId !== undefined ? personIn(principal, organizationId) : undefined) ?? principal;
    }
    const action = ActionSchema.safeParse(check.permission);
    if (!action.success || can(principal, action.data)) return principal;
    for (const organizationId of principal.organizationIds) {
      const candidate = personIn(principal, organizationId);
      if (candidate !== undefined && can(candidate, action.data as Action)) return candidate;
    }
    return principal;
  }

  async authorize(given: Principal, check: AuthorizationCheck): Promise<AuthorizationDecision> {
    const action = ActionSchema.safeParse(check.permission);
    const principal = await this.actingPrincipal(given, check);
    if (!action.success || !isAuthPrincipal(principal)) return 'forbidden';
    if (check.scope === 'organization' && check.organizationId !== principal.organizationId) return 'not-found';
    if (check.scope === 'workspace' && !(await this.canSeeWorkspace(principal, check.workspaceId))) return 'not-found';
    const target = {
      ...(principal.organizationId !== undefined ? { organizationId: principal.organizationId } : {}),
      ...(check.scope === 'workspace' && check.workspaceId !== undefined ? { workspaceId: check.workspaceId } : {}),
    };
    try {
      assertCan(principal, action.data, target);
      return 'allow';
    } catch (error) {
      if (AuthError.is(error, AuthErrorCode.OutOfScope)) return 'not-found';
      if (AuthError.is(error, AuthErrorCode.Forbidden)) throw new GatewayError(GatewayErrorCode.Forbidden, error.detail, { cause: error });
      throw error;
    }
  }

  /**
   * The organization of a workspace the person is no member of, when it is one where they hold an
   * organization-wide role (a workspace of any other organization leaves them as they are).
   */
  private async organizationOf(principal: StewardUserPrincipal, workspaceId: string): Promise<string | undefined> {
    const member = membershipOrganization(principal, workspaceId);
    if (member !== undefined) return principal.organizationIds.includes(member) ? member : undefined;
    const organizationWide = organizationWideOrganizations(principal);
    if (organizationWide.length === 0) return undefined;
    const organizationId = await this.deps.workspaces.organizationOf(workspaceId);
    return organizationId !== undefined && organizationWide.includes(organizationId) ? organizationId : undefined;
  }

  private async canSeeWorkspace(principal: AuthPrincipal, workspaceId: string | undefined): Promise<boolean> {
    if (workspaceId === undefined) return false;
    if (principal.kind === 'api_key') return principal.workspaceId === workspaceId;
    if (Object.hasOwn(principal.memberships, workspaceId)) return true;
    if (principal.orgRole === undefined || principal.organizationId === undefined) return false;
    return (await this.deps.workspaces.organizationOf(workspaceId)) === principal.organizationId;
  }
}

function isPerson(principal: Principal): principal is StewardUserPrincipal {
  return principal.kind === 'user' && Array.isArray((principal as Partial<StewardUserPrincipal>).organizationIds);
}

export enum RoutePermissionErrorCode {
  UnknownAction = 'UNKNOWN_ACTION',
}

export class RoutePermissionError extends Error {
  constructor(
    readonly code: RoutePermissionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RoutePermissionError';
  }
}

/** Throws when a route's permission is not a libs/auth Action (checked once at start-up). */
export function assertRoutePermissions(routes: readonly AnyRoute[]): void {
  const unknown = routes.filter((route) => route.permission !== null && !ActionSchema.safeParse(route.permission).success);
  if (unknown.length > 0) {
    throw new RoutePermissionError(
      RoutePermissionErrorCode.UnknownAction,
      `routes with a permission that is no @steward/auth action: ${unknown.map((route) => `${route.operationId} (${String(route.permission)})`).join(', ')}`,
    );
  }
}
