import { sql, type Kysely } from 'kysely';
import { AuthError, AuthErrorCode, assertCan, workspacesAllowed, type Principal as AuthPrincipal } from '@steward/auth';
import { TEAM_SCHEMA, type TeamReadRepository } from '@steward/team-rbac';
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
export async function usageWorkspaces(db: Kysely<unknown>, principal: Principal | undefined, choice: string, named?: string): Promise<string[]> {
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
    const allowed = workspacesAllowed(caller, ACTION);
    const inOrganization = await sql<{ id: string }>`
      SELECT id FROM ${sql.id(TEAM_SCHEMA, 'workspaces')} WHERE organization_id = ${organizationId} ORDER BY id`.execute(db);
    const ids = inOrganization.rows.map((row) => row.id);
    return allowed === 'all' ? ids : ids.filter((id) => allowed.includes(id));
  }
  const found = await sql<{ organization_id: string }>`
    SELECT organization_id FROM ${sql.id(TEAM_SCHEMA, 'workspaces')} WHERE id = ${choice}`.execute(db);
  if (found.rows[0]?.organization_id !== organizationId) throw notFound();
  try {
    assertCan(caller, ACTION, { organizationId, workspaceId: choice });
  } catch (error) {
    if (AuthError.is(error, AuthErrorCode.OutOfScope)) throw notFound();
    if (AuthError.is(error, AuthErrorCode.Forbidden)) throw new GatewayError(GatewayErrorCode.Forbidden, error.detail, { cause: error });
    throw error;
  }
  return [choice];
}

/** The zone buckets are cut in: the query's `tz`, else the caller's profile time zone, else UTC. */
export async function usageTimeZone(team: TeamReadRepository, principal: Principal | undefined, tz: string | undefined): Promise<string> {
  if (tz !== undefined) return tz;
  const caller = principal as Partial<AuthPrincipal> | undefined;
  if (caller?.kind === 'user' && typeof caller.userId === 'string') {
    const profile = await team.getProfile(caller.userId);
    if (profile?.timeZone) return profile.timeZone;
  }
  return 'UTC';
}
