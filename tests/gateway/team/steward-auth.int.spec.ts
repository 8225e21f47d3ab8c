/**
 * StewardAuthenticator and StewardAuthorizer over the real team read model,
 * projected from the real team-rbac handlers (NATS, PostgreSQL), and the real
 * user token table.
 */
import { randomUUID } from 'node:crypto';
import { ADMIN_ONLY_DETAIL, AuthError, AuthErrorCode, generateApiKey, type OidcIdentity, type OidcVerifier } from '@steward/auth';
import type { Actor, TeamCommandAnswer, TeamCommandInput, TeamCommandType } from '@steward/contracts';
import { waitFor, type TestEnv } from '@steward/testing';
import { TEAM_PROJECTION, WorkspaceOrganizations, migrateUserTokens } from '@steward/team-rbac';
import { TeamHarness, sha256, user } from '../../../services/team-rbac/test/team-harness';
import { GatewayError, GatewayErrorCode } from '../../../services/gateway/src/gateway.error';
import { createProblemMapper } from '../../../services/gateway/src/problem';
import type { AuthorizationCheck } from '../../../services/gateway/src/route';
import { StewardAuthenticator, type StewardAuthenticatorDeps, type StewardPrincipal } from '../../../services/gateway/src/auth/steward.authenticator';
import { StewardAuthorizer } from '../../../services/gateway/src/auth/steward.authorizer';
import { ProjectionProgress } from '../../../services/gateway/src/read-your-writes';
import { parsePosition } from '@steward/event-store';
import { UserTokenStore } from '../../../services/team-rbac/src/user-tokens/user-token.store';

jest.setTimeout(60_000);

const bearer = (token: string | undefined) => ({ method: 'GET', path: '/v1/me', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('StewardAuthenticator and StewardAuthorizer', () => {
  let h: TeamHarness;
  let env: TestEnv;
  /** What every authenticator below is built on: the user tokens' pool and the team's credential lookups. */
  let auth: Pick<StewardAuthenticatorDeps, 'pool' | 'credentials' | 'apiKeyUse'>;
  let authenticator: StewardAuthenticator;
  let authorizer: StewardAuthorizer;

  const orgA = `org-${randomUUID()}`;
  const ws1 = `ws-${randomUUID()}`;
  const ws2 = `ws-${randomUUID()}`;
  const orgB = `org-${randomUUID()}`;
  const wsB = `ws-${randomUUID()}`;
  const tokens: Record<string, string> = {};

  const ok = <T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor): Promise<TeamCommandAnswer> => h.apply(type, payload, actor);

  async function principalOf(token: string): Promise<StewardPrincipal> {
    const principal = await authenticator.authenticate(bearer(token));
    if (!principal) throw new Error('not authenticated');
    return principal;
  }

  const check = (permission: string, scope: AuthorizationCheck['scope'], id?: string): AuthorizationCheck => ({
    permission,
    scope,
    ...(scope === 'workspace' && id ? { workspaceId: id } : {}),
    ...(scope === 'organization' && id ? { organizationId: id } : {}),
  });

  beforeAll(async () => {
    h = await TeamHarness.start({ schema: 'gw_auth_events', name: 'gateway-auth-test' });
    env = h.env;
    auth = { pool: env.pool, credentials: h.team.credentials, apiKeyUse: h.team.apiKeyUse };
    await migrateUserTokens(env.pool);
    await migrateUserTokens(env.pool); // idempotent
    authenticator = new StewardAuthenticator(auth);
    authorizer = new StewardAuthorizer({ workspaces: new WorkspaceOrganizations({ db: h.db }) });

    await ok('CreateOrganization', { organizationId: orgA, name: 'Acme', workspaceId: ws1, workspaceName: 'Main', owner: { userId: 'u-owner', email: 'owner@acme.test' } }, user('u-owner'));
    await ok('CreateWorkspace', { organizationId: orgA, workspaceId: ws2, name: 'Second', ownerEmail: 'owner@acme.test' }, user('u-owner'));
    await ok('CreateOrganization', { organizationId: orgB, name: 'Other', workspaceId: wsB, workspaceName: 'B', owner: { userId: 'u-other', email: 'other@b.test' } }, user('u-other'));
    for (const [userId, role] of [
      ['u-admin', 'admin'],
      ['u-member', 'member'],
    ] as const) {
      const invitationId = `inv-${userId}`;
      await ok('InviteMember', { workspaceId: ws1, invitationId, email: `${userId}@acme.test`, role, tokenHash: sha256(userId) }, user('u-owner'));
      await ok('AcceptInvitation', { invitationId, tokenHash: sha256(userId), userId }, user(userId));
    }
    for (const [userId, email] of [
      ['u-owner', 'owner@acme.test'],
      ['u-admin', 'u-admin@acme.test'],
      ['u-member', 'u-member@acme.test'],
      ['u-other', 'other@b.test'],
    ] as const) {
      tokens[userId] = (await new UserTokenStore(env.pool).issue({ userId, email })).token;
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  it('an owner is an organization-wide owner with the memberships of its organization only', async () => {
    const owner = await principalOf(tokens['u-owner'] as string);
    expect(owner).toEqual({
      kind: 'user',
      id: 'u-owner',
      userId: 'u-owner',
      organizationId: orgA,
      organizationIds: [orgA],
      memberships: { [ws1]: 'owner', [ws2]: 'owner' },
      orgRole: 'owner',
      email: 'owner@acme.test',
    });
    const member = await principalOf(tokens['u-member'] as string);
    expect(member).toEqual({ kind: 'user', id: 'u-member', userId: 'u-member', organizationId: orgA, organizationIds: [orgA], memberships: { [ws1]: 'member' }, email: 'u-member@acme.test' });
  });

  it('refuses a missing, malformed, unknown, forged or revoked token (undefined: 401)', async () => {
    const issued = await new UserTokenStore(env.pool).issue({ userId: 'u-member', email: 'u-member@acme.test' });
    expect(await authenticator.authenticate(bearer(issued.token))).toBeDefined();
    const forged = `${issued.token.slice(0, -1)}${issued.token.endsWith('a') ? 'b' : 'a'}`;
    for (const token of [undefined, '', 'garbage', `stu_${'A'.repeat(16)}_${'b'.repeat(43)}`, forged]) {
      expect(await authenticator.authenticate(bearer(token))).toBeUndefined();
    }
    expect(await authenticator.authenticate({ method: 'GET', path: '/v1/me', headers: { authorization: `Basic ${issued.token}` } })).toBeUndefined();
    expect(await new UserTokenStore(env.pool).revoke(issued.tokenId)).toBe(true);
    expect(await authenticator.authenticate(bearer(issued.token))).toBeUndefined();
  });

  it('stores the hash only and records the last use at most once per interval', async () => {
    const issued = await new UserTokenStore(env.pool).issue({ userId: 'u-admin', email: 'U-Admin@Acme.test' });
    const row = async () =>
      (await env.pool.query<{ hash: string; email: string; last_used_at: Date | null }>('SELECT hash, email, last_used_at FROM steward_gateway.user_tokens WHERE id = $1', [issued.tokenId])).rows[0];
    expect(await row()).toEqual({ hash: sha256(issued.token), email: 'u-admin@acme.test', last_used_at: null });
    await principalOf(issued.token);
    const first = await waitFor('last use recorded', async () => (await row())?.last_used_at ?? undefined);
    await principalOf(issued.token);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await row())?.last_used_at).toEqual(first);
  });

  it('tenant wall: another organization or a workspace without membership is not-found', async () => {
    const owner = await principalOf(tokens['u-owner'] as string);
    const member = await principalOf(tokens['u-member'] as string);
    expect(await authorizer.authorize(owner, check('organization.read', 'organization', orgB))).toBe('not-found');
    expect(await authorizer.authorize(owner, check('workspace.read', 'workspace', wsB))).toBe('not-found');
    expect(await authorizer.authorize(owner, check('workspace.read', 'workspace', 'ws-unknown'))).toBe('not-found');
    expect(await authorizer.authorize(member, check('workspace.read', 'workspace', ws2))).toBe('not-found');
    expect(await authorizer.authorize(owner, check('organization.read', 'organization', orgA))).toBe('allow');
    expect(await authorizer.authorize(owner, check('member.invite', 'workspace', ws2))).toBe('allow');
  });

  it('the matrix: a member is refused an admin area with 403 "Access Restricted" and the admin-only detail', async () => {
    const member = await principalOf(tokens['u-member'] as string);
    const admin = await principalOf(tokens['u-admin'] as string);
    expect(await authorizer.authorize(member, check('jobs.write', 'workspace', ws1))).toBe('allow');
    expect(await authorizer.authorize(member, check('profile.update', 'none'))).toBe('allow');
    expect(await authorizer.authorize(admin, check('member.invite', 'workspace', ws1))).toBe('allow');
    const refusal = await authorizer.authorize(member, check('member.invite', 'workspace', ws1)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ code: GatewayErrorCode.Forbidden });
    const problem = createProblemMapper()(refusal, '/v1/workspaces/x/invitations');
    expect(problem.status).toBe(403);
    expect(problem.body).toMatchObject({ title: 'Access Restricted', detail: ADMIN_ONLY_DETAIL });
    expect(await authorizer.authorize(member, check('not.an.action', 'none'))).toBe('forbidden');
  });

  it('API keys: by prefix and hash, bound to their workspace and scopes; expired and revoked keys are refused', async () => {
    const key = generateApiKey();
    const expiresAt = new Date(Date.now() + 3_600_000);
    await ok('IssueApiKey', { workspaceId: ws1, apiKeyId: key.id, name: 'ci', scopes: ['read'], prefix: key.prefix, keyHash: key.hash, expiresAt: expiresAt.toISOString() }, user('u-owner'));
    const principal = await principalOf(key.secret);
    expect(principal).toEqual({ kind: 'api_key', id: key.id, keyId: key.id, organizationId: orgA, workspaceId: ws1, scopes: ['read'] });
    expect(await authorizer.authorize(principal, check('workspace.read', 'workspace', ws1))).toBe('allow');
    expect(await authorizer.authorize(principal, check('workspace.read', 'workspace', ws2))).toBe('not-found');
    await expect(authorizer.authorize(principal, check('jobs.write', 'workspace', ws1))).rejects.toMatchObject({ code: GatewayErrorCode.Forbidden });
    await expect(authorizer.authorize(principal, check('api_key.issue', 'workspace', ws1))).rejects.toMatchObject({ message: ADMIN_ONLY_DETAIL });
    expect(await authenticator.authenticate(bearer(`${key.secret.slice(0, -1)}${key.secret.endsWith('a') ? 'b' : 'a'}`))).toBeUndefined();
    await waitFor('last use of the key recorded', async () => (await h.team.apiKeys.getApiKey(ws1, key.id))?.lastUsedAt ?? undefined);

    const later = new StewardAuthenticator({ ...auth, now: () => new Date(expiresAt.getTime() + 1) });
    expect(await later.authenticate(bearer(key.secret))).toBeUndefined();

    await ok('RevokeApiKey', { workspaceId: ws1, apiKeyId: key.id }, user('u-owner'));
    expect(await authenticator.authenticate(bearer(key.secret))).toBeUndefined();
  });

  it('OIDC: a verified email of a known member signs in; unknown emails are refused; an unreachable provider is a 503', async () => {
    const identity = (email: string | undefined, emailVerified?: boolean): OidcIdentity => ({
      issuer: 'https://idp.test',
      subject: 'sub-1',
      ...(email !== undefined ? { email } : {}),
      ...(emailVerified !== undefined ? { emailVerified } : {}),
      expiresAt: new Date(Date.now() + 60_000),
    });
    let next: () => OidcIdentity = () => identity('U-Member@Acme.test');
    const oidc: OidcVerifier = { config: { issuer: 'https://idp.test', audience: 'steward', jwksUrl: 'https://idp.test/jwks' }, verify: async () => next() };
    const withOidc = new StewardAuthenticator({ ...auth, oidc });
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect(await withOidc.authenticate(bearer(jwt))).toMatchObject({ kind: 'user', userId: 'u-member', organizationId: orgA });
    expect(await authenticator.authenticate(bearer(jwt))).toBeUndefined(); // OIDC not configured
    next = () => identity('stranger@nowhere.test');
    expect(await withOidc.authenticate(bearer(jwt))).toBeUndefined();
    next = () => identity('u-member@acme.test', false);
    expect(await withOidc.authenticate(bearer(jwt))).toBeUndefined();
    next = () => {
      throw new AuthError(AuthErrorCode.InvalidToken, 'bad signature');
    };
    expect(await withOidc.authenticate(bearer(jwt))).toBeUndefined();
    next = () => {
      throw new AuthError(AuthErrorCode.IdentityProviderUnavailable, 'JWKS unreachable');
    };
    await expect(withOidc.authenticate(bearer(jwt))).rejects.toMatchObject({ code: GatewayErrorCode.Unavailable });
  });

  it('with the cache: lookups are reused until the team projection’s progress notice invalidates them (revoked key, removed member)', async () => {
    const cached = new StewardAuthenticator({ ...auth, cache: { ttlMs: 60_000 } });
    const progress = new ProjectionProgress({ connectionString: env.databaseUrl, db: h.db });
    await progress.start();
    // what main.ts wires (here switched on only once the stale answers below have been shown)
    let following = false;
    progress.onProgress(TEAM_PROJECTION, () => {
      if (following) cached.invalidate();
    });
    try {
      const key = generateApiKey();
      await ok('IssueApiKey', { workspaceId: ws2, apiKeyId: key.id, name: 'cached', scopes: ['read'], prefix: key.prefix, keyHash: key.hash }, user('u-owner'));
      expect(await cached.authenticate(bearer(key.secret))).toMatchObject({ kind: 'api_key', keyId: key.id });
      const invitationId = `inv-cached-${randomUUID()}`;
      await ok('InviteMember', { workspaceId: ws2, invitationId, email: 'u-cached@acme.test', role: 'member', tokenHash: sha256(invitationId) }, user('u-owner'));
      await ok('AcceptInvitation', { invitationId, tokenHash: sha256(invitationId), userId: 'u-cached' }, user('u-cached'));
      const token = (await new UserTokenStore(env.pool).issue({ userId: 'u-cached', email: 'u-cached@acme.test' })).token;
      expect(await cached.authenticate(bearer(token))).toMatchObject({ userId: 'u-cached', memberships: { [ws2]: 'member' } });

      await ok('RevokeApiKey', { workspaceId: ws2, apiKeyId: key.id }, user('u-owner'));
      const removal = await ok('RemoveMember', { workspaceId: ws2, userId: 'u-cached' }, user('u-owner'));
      await progress.waitFor(parsePosition(removal.position!), removal.events, 30_000);
      // the read model shows both, but nothing told this authenticator: its cached lookups still answer
      expect(await cached.authenticate(bearer(key.secret))).toBeDefined();
      expect(await cached.authenticate(bearer(token))).toBeDefined();

      // the next change the team projection applies empties the cache: once the view has passed it, both are refused
      following = true;
      const next = generateApiKey();
      const issued = await ok('IssueApiKey', { workspaceId: ws2, apiKeyId: next.id, name: 'next', scopes: ['read'], prefix: next.prefix, keyHash: next.hash }, user('u-owner'));
      await progress.waitFor(parsePosition(issued.position!), issued.events, 30_000);
      expect(await cached.authenticate(bearer(key.secret))).toBeUndefined();
      // removed from their only workspace: still the person, in no organization any more
      expect(await cached.authenticate(bearer(token))).toEqual({ kind: 'user', id: 'u-cached', userId: 'u-cached', memberships: {}, organizationIds: [], email: 'u-cached@acme.test' });
    } finally {
      await progress.close();
    }
  });

  it('a person removed from every workspace is still authenticated, in no organization: their own profile only, every tenant not-found', async () => {
    await ok('RemoveMember', { workspaceId: ws1, userId: 'u-admin' }, user('u-owner'));
    const removed = await principalOf(tokens['u-admin'] as string);
    expect(removed).toEqual({ kind: 'user', id: 'u-admin', userId: 'u-admin', memberships: {}, organizationIds: [], email: 'u-admin@acme.test' });
    expect(await authorizer.authorize(removed, check('profile.read', 'none'))).toBe('allow');
    expect(await authorizer.authorize(removed, check('profile.update', 'none'))).toBe('allow');
    expect(await authorizer.authorize(removed, check('organization.create', 'none'))).toBe('allow');
    expect(await authorizer.authorize(removed, check('organization.read', 'organization', orgA))).toBe('not-found');
    expect(await authorizer.authorize(removed, check('activity.read', 'organization', orgA))).toBe('not-found');
    expect(await authorizer.authorize(removed, check('member.read', 'workspace', ws1))).toBe('not-found');
    expect(await authorizer.authorize(removed, check('workspace.read', 'workspace', ws2))).toBe('not-found');
  });
});
