import { AuthError, AuthErrorCode, assertCan, workspacesAllowed, type Action, type Principal as AuthPrincipal } from '@steward/auth';
import type { ProfileReadRepository, WorkspaceOrganizations } from '@steward/team-rbac';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import type { Principal } from '../../route';

const ACTION = 'usage.read';

function authPrincipal(principal: Principal | undefined): AuthPrincipal {
  const candidate = principal as Partial<AuthPrincipal> | undefined;
  if (candidate?.kind === 'api_key' || candidate?.kind === 'user') return candidate as AuthPrincipal;
  throw new GatewayError(GatewayErrorCode.Forbidden, 'only people and API keys read usage');
}

const notFound = (): GatewayError => new GatewayError(GatewayErrorCode.NotFound, 'no such resource');

/**
 * The workspaces a usage query reads, checked against the caller (the tenant
 * wall of routes that take their workspace from the query; the gateway has
 * already put the caller in the organization of the workspace named): one
 * workspace they may read usage in, else 404; `all`: every workspace of one
 * organization for an organization-wide role, the caller's own memberships
 * otherwise, an API key's own workspace. `all` never spans organizations: a
 * person of several names one with `organizationId` (else a 400), and a
 * named organization that is not the caller's, or that does not hold the
 * named workspace, is a 404.
 */
export async function usageWorkspaces(workspaces: WorkspaceOrganizations, principal: Principal | undefined, choice: string, named?: string, action: Action = ACTION): Promise<string[]> {
  const caller = authPrincipal(principal);
  const organizationId = caller.organizationId;
  if (organizationId === undefined || (named !== undefined && named !== organizationId)) throw notFound();
  if (choice === 'all') {
    const organizations = (caller as { organizationIds?: readonly string[] }).organizationIds;
    if (named === undefined && organizations !== undefined && organizations.length > 1) {
      throw new GatewayError(GatewayErrorCode.Validation, 'workspaceId=all reads one organization: name it', {
        errors: [{ field: 'query.organizationId', message: 'required with workspaceId=all for a person of several organizations' }],
      });
    }
    const allowed = workspacesAllowed(caller, action);
    const ids = await workspaces.workspacesIn(organizationId);
    return allowed === 'all' ? ids : ids.filter((id) => allowed.includes(id));
  }
  if ((await workspaces.organizationOf(choice)) !== organizationId) throw notFound();
  try {
    assertCan(caller, action, { organizationId, workspaceId: choice });
  } catch (error) {
    if (AuthError.is(error, AuthErrorCode.OutOfScope)) throw notFound();
    if (AuthError.is(error, AuthErrorCode.Forbidden)) throw new GatewayError(GatewayErrorCode.Forbidden, error.detail, { cause: error });
    throw error;
  }
  return [choice];
}

/** The zone buckets are cut in: the query's `tz`, else the caller's profile time zone, else UTC. */
export async function usageTimeZone(profiles: ProfileReadRepository, principal: Principal | undefined, tz: string | undefined): Promise<string> {
  if (tz !== undefined) return tz;
  const caller = principal as Partial<AuthPrincipal> | undefined;
  if (caller?.kind === 'user' && typeof caller.userId === 'string') {
    const profile = await profiles.getProfile(caller.userId);
    if (profile?.timeZone) return profile.timeZone;
  }
  return 'UTC';
}
