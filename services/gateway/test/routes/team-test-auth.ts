/**
 * A small authenticator and authorizer for the team route tests, built on
 * `@steward/auth` over the team read models (the gateway's real adapters live
 * in services/gateway/src/auth):
 * - `Bearer test-user.<userId>.<email>`: a signed-in person (the test mints these);
 * - `Bearer stu-test.<n>`: a user token the accept route issued through the injected `issueUserToken`;
 * - `Bearer stw_…`: an API key, checked against the API key read model (revoked or expired: refused).
 * The authorizer builds the person's `@steward/auth` principal for the organization the route targets
 * (memberships and owner seat from the read model) and asks `can`: another tenant is `not-found`.
 */
import { can, parseApiKey, verifyApiKey, type Action, type Principal as AuthPrincipal } from '@steward/auth';
import type { Role } from '@steward/contracts';
import type { TeamReadRepository } from '../../../team-rbac/src/read-models';
import type { Authenticator, Authorizer, Principal } from '../../src';
import type { IssueUserToken } from '../../src/routes';

export type TestPrincipal = Principal &
  (
    | { readonly kind: 'user'; readonly userId: string; readonly email?: string }
    | { readonly kind: 'api_key'; readonly keyId: string; readonly organizationId: string; readonly workspaceId: string; readonly scopes: readonly string[] }
  );

export function userHeader(userId: string, email = `${userId}@acme.test`): string {
  return `Bearer test-user.${userId}.${email}`;
}

export interface TestAuth {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly issueUserToken: IssueUserToken & { readonly issued: Array<{ userId: string; email: string; token: string }> };
}

export function testAuth(deps: { readonly team: TeamReadRepository; readonly organizationOfWorkspace: (workspaceId: string) => Promise<string | undefined> }): TestAuth {
  const issued: Array<{ userId: string; email: string; token: string }> = [];
  const issueUserToken = Object.assign(
    async (input: { userId: string; email: string }) => {
      const token = `stu-test.${issued.length + 1}`;
      issued.push({ ...input, token });
      return { token };
    },
    { issued },
  );

  const authenticator: Authenticator = {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
      const credential = header.slice('Bearer '.length);
      const person = /^test-user\.([A-Za-z0-9_-]+)\.(.+)$/.exec(credential);
      if (person) return { kind: 'user', id: person[1] as string, userId: person[1] as string, email: person[2] as string } satisfies TestPrincipal;
      const minted = issued.find((entry) => entry.token === credential);
      if (minted) return { kind: 'user', id: minted.userId, userId: minted.userId, email: minted.email } satisfies TestPrincipal;
      const key = parseApiKey(credential);
      if (!key) return undefined;
      const stored = await deps.team.authenticateApiKey(key.prefix);
      if (!stored || stored.revoked || !verifyApiKey(credential, stored.hash)) return undefined;
      if (stored.expiresAt !== null && Date.parse(stored.expiresAt) <= Date.now()) return undefined;
      return {
        kind: 'api_key',
        id: stored.keyId,
        keyId: stored.keyId,
        organizationId: stored.organizationId,
        workspaceId: stored.workspaceId,
        scopes: stored.scopes,
      } satisfies TestPrincipal;
    },
  };

  const authorizer: Authorizer = {
    async authorize(gatewayPrincipal, check) {
      const principal = gatewayPrincipal as TestPrincipal;
      const action = check.permission as Action;
      if (check.scope === 'none') {
        // profile.* (and creating an organization): any person, never a key
        return principal.kind === 'user' ? 'allow' : 'forbidden';
      }
      const organizationId = check.organizationId ?? (check.workspaceId ? await deps.organizationOfWorkspace(check.workspaceId) : undefined);
      if (organizationId === undefined) return 'not-found';
      let subject: AuthPrincipal;
      if (principal.kind === 'api_key') {
        subject = { kind: 'api_key', keyId: principal.keyId, organizationId: principal.organizationId, workspaceId: principal.workspaceId, scopes: principal.scopes };
      } else {
        const memberships = await deps.team.membershipsOf(principal.userId);
        const inOrganization = memberships.workspaces.filter((membership) => membership.organizationId === organizationId);
        // The creator's seat comes with OrganizationCreated, which the read model's organization_owners does not
        // record (reported): a creator still holding `owner` in a workspace of the organization counts as its owner.
        const creator = (await deps.team.getOrganization(organizationId))?.owner.userId === principal.userId;
        const owner =
          memberships.organizations.some((seat) => seat.organizationId === organizationId) || (creator && inOrganization.some((membership) => membership.role === 'owner'));
        if (inOrganization.length === 0 && !owner) return 'not-found';
        subject = {
          kind: 'user',
          userId: principal.userId,
          organizationId,
          memberships: Object.fromEntries(inOrganization.map((membership) => [membership.workspaceId, membership.role])) as Record<string, Role>,
          ...(owner ? { orgRole: 'owner' as const } : {}),
        };
      }
      const target = { organizationId, ...(check.workspaceId !== undefined ? { workspaceId: check.workspaceId } : {}) };
      if (can(subject, action, target)) return 'allow';
      // out of scope (no role there) is the tenant wall; a role that may not is a 403
      const inScope = subject.kind === 'api_key' ? check.workspaceId === undefined || check.workspaceId === subject.workspaceId : check.workspaceId === undefined || subject.orgRole !== undefined || check.workspaceId in subject.memberships;
      return inScope ? 'forbidden' : 'not-found';
    },
  };

  return { authenticator, authorizer, issueUserToken };
}
