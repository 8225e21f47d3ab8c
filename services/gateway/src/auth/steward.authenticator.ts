import {
  AuthError,
  AuthErrorCode,
  readBearerCredential,
  verifyApiKey,
  verifyUserToken,
  type ApiKeyPrincipal,
  type BearerCredential,
  type OidcVerifier,
  type UserPrincipal,
} from '@steward/auth';
import type { Role } from '@steward/contracts';
import type { Logger } from '@steward/observability';
import type pg from 'pg';
import { TEAM_SCHEMA, type Memberships, type TeamReadRepository } from '../../../team-rbac/src/read-models';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import type { AuthenticationRequest, Authenticator } from '../route';
import { CredentialCache, type CredentialCacheOptions } from './credential.cache';
import { UserTokenStore } from './user-token.store';

/** A libs/auth principal plus the `id` the gateway keys rate limits and idempotency by. */
export type StewardUserPrincipal = UserPrincipal & {
  readonly id: string;
  /** The person's email when the credential names it (user tokens, OIDC). */
  readonly email?: string;
};
export type StewardApiKeyPrincipal = ApiKeyPrincipal & { readonly id: string };
export type StewardPrincipal = StewardUserPrincipal | StewardApiKeyPrincipal;

/** Last use is written at most this often per key or token (fire-and-forget). */
export const LAST_USED_INTERVAL_MS = 60_000;

export interface StewardAuthenticatorDeps {
  /** The database of the team read model (`rm_team`) and of `steward_gateway.user_tokens`. */
  readonly pool: pg.Pool;
  readonly readModel: TeamReadRepository;
  /** createOidcVerifierFromEnv(): undefined when OIDC_* are unset (JWTs are then refused). */
  readonly oidc?: OidcVerifier | undefined;
  readonly logger?: Logger;
  /** Default LAST_USED_INTERVAL_MS. */
  readonly lastUsedIntervalMs?: number;
  readonly now?: () => Date;
  /**
   * The lookup cache (see CredentialCache). Off by default (everything looked up on every request): turn it
   * on only together with its invalidation (the team projection's progress, ReplicaSync), as main.ts does.
   */
  readonly cache?: CredentialCacheOptions;
}

/**
 * Resolves `Authorization: Bearer …` to a principal. Credential records and
 * memberships are looked up through a short-lived CredentialCache (when
 * `cache` is given) that `invalidate()` clears: the gateway calls it each time the team projection
 * applied a change, and every replica does before a team write answers (ReplicaSync), so a revoked
 * key, or a removed membership, is refused on the next request (see CredentialCache). Secrets are
 * verified against the cached hash on every request.
 *
 * - API key `stw_…`: by prefix in the team read model, hash verified in
 *   constant time, refused when revoked or expired.
 * - User token `stu_…`: by id in `steward_gateway.user_tokens`, hash verified,
 *   refused when revoked.
 * - JWT: only when OIDC is configured; the verified email must belong to a
 *   known user (a member in the read model, or a token holder).
 *
 * A user principal carries its memberships (workspace → role) in one
 * organization and `orgRole: 'owner'` for an organization owner; a person of
 * no organization has neither, nor an `organizationId`. Anything not
 * accepted is `undefined` (the gateway answers 401); an unreachable identity
 * provider is a 503.
 */
export class StewardAuthenticator implements Authenticator {
  private readonly tokens: UserTokenStore;
  private readonly lastUseWritten = new Map<string, number>();
  private readonly interval: number;
  private readonly now: () => Date;
  private readonly cache: CredentialCache;
  private readonly principals = new WeakMap<Memberships, Map<string, StewardUserPrincipal>>();

  constructor(private readonly deps: StewardAuthenticatorDeps) {
    this.tokens = new UserTokenStore(deps.pool);
    this.cache = new CredentialCache(deps.cache ?? { ttlMs: 0 });
    this.interval = deps.lastUsedIntervalMs ?? LAST_USED_INTERVAL_MS;
    this.now = deps.now ?? (() => new Date());
  }

  /** Forgets every cached credential and membership (a team event, a write through the gateway). */
  invalidate(): void {
    this.cache.invalidate();
  }

  async authenticate(request: AuthenticationRequest): Promise<StewardPrincipal | undefined> {
    const header = request.headers.authorization;
    let credential: BearerCredential;
    try {
      credential = readBearerCredential(Array.isArray(header) ? header[0] : header);
    } catch (error) {
      if (AuthError.is(error)) return undefined;
      throw error;
    }
    switch (credential.kind) {
      case 'api_key':
        return this.apiKey(credential.prefix, credential.token);
      case 'user_token':
        return this.userToken(credential.id, credential.token, request.path);
      case 'jwt':
        return this.jwt(credential.token, request.path);
      default: {
        const _exhaustive: never = credential;
        return _exhaustive;
      }
    }
  }

  private async apiKey(prefix: string, token: string): Promise<StewardApiKeyPrincipal | undefined> {
    const key = await this.cache.get(`api_key:${prefix}`, () => this.deps.readModel.authenticateApiKey(prefix));
    if (!key || !verifyApiKey(token, key.hash) || key.revoked) return undefined;
    const now = this.now();
    if (key.expiresAt !== null && new Date(key.expiresAt).getTime() <= now.getTime()) return undefined;
    this.touch(`api_key:${key.keyId}`, now, () => this.deps.readModel.recordApiKeyUse(key.workspaceId, key.keyId, now));
    return {
      kind: 'api_key',
      id: key.keyId,
      keyId: key.keyId,
      organizationId: key.organizationId,
      workspaceId: key.workspaceId,
      scopes: key.scopes,
    };
  }

  private async userToken(tokenId: string, token: string, path: string): Promise<StewardUserPrincipal | undefined> {
    const record = await this.cache.get(`user_token:${tokenId}`, () => this.tokens.find(tokenId));
    if (!record || record.revoked || !verifyUserToken(token, record.hash)) return undefined;
    const now = this.now();
    this.touch(`user_token:${record.id}`, now, () => this.tokens.recordUse(record.id, now));
    return this.userPrincipal(record.userId, path, record.email);
  }

  private async jwt(token: string, path: string): Promise<StewardUserPrincipal | undefined> {
    if (!this.deps.oidc) return undefined;
    let email: string | undefined;
    try {
      const identity = await this.deps.oidc.verify(token);
      email = identity.emailVerified === false ? undefined : identity.email;
    } catch (error) {
      if (AuthError.is(error, AuthErrorCode.IdentityProviderUnavailable)) {
        throw new GatewayError(GatewayErrorCode.Unavailable, 'the identity provider cannot be reached', { cause: error });
      }
      if (AuthError.is(error)) return undefined;
      throw error;
    }
    if (email === undefined) return undefined;
    const userId = (await this.userIdForEmail(email)) ?? (await this.tokens.userIdForEmail(email));
    return userId === undefined ? undefined : this.userPrincipal(userId, path, email.toLowerCase());
  }

  private async userIdForEmail(email: string): Promise<string | undefined> {
    const { rows } = await this.deps.pool.query<{ user_id: string }>(
      `SELECT user_id FROM ${TEAM_SCHEMA}.members WHERE lower(email) = lower($1) ORDER BY joined_at LIMIT 1`,
      [email],
    );
    return rows[0]?.user_id;
  }

  /**
   * The person with their roles in the organization they act in. Someone who belongs to no organization
   * (removed from every workspace) is still authenticated, without `organizationId` and memberships: they may
   * read and change their profile and found an organization; every tenant is a 404 for them.
   */
  private async userPrincipal(userId: string, path: string, email: string | undefined): Promise<StewardUserPrincipal> {
    const memberships = await this.cache.get(`memberships:${userId}`, () => this.deps.readModel.membershipsOf(userId));
    const organizationId = organizationFor(memberships, path);
    // The same memberships (one cached lookup) give the same principal: built once per organization and email,
    // and rebuilt whenever the cache loads the memberships again (a team event, a write, the TTL).
    let built = this.principals.get(memberships);
    if (built === undefined) this.principals.set(memberships, (built = new Map()));
    const key = `${organizationId ?? ''}\u0000${email ?? ''}`;
    const known = built.get(key);
    if (known !== undefined) return known;
    const principal = Object.freeze(this.buildUserPrincipal(userId, memberships, organizationId, email));
    if (built.size >= 100) built.clear();
    built.set(key, principal);
    return principal;
  }

  private buildUserPrincipal(userId: string, memberships: Memberships, organizationId: string | undefined, email: string | undefined): StewardUserPrincipal {
    if (organizationId === undefined) {
      return { kind: 'user', id: userId, userId, memberships: {}, ...(email !== undefined ? { email } : {}) };
    }
    const inOrganization = memberships.workspaces.filter((membership) => membership.organizationId === organizationId);
    const roles: Record<string, Role> = {};
    for (const membership of inOrganization) roles[membership.workspaceId] = membership.role;
    // Owners are organization-wide: an owner seat, or the owner role in any workspace of the organization
    // (the first owner's seat comes with OrganizationCreated, which records no separate seat event).
    const owner =
      memberships.organizations.some((organization) => organization.organizationId === organizationId) ||
      inOrganization.some((membership) => membership.role === 'owner');
    return {
      kind: 'user',
      id: userId,
      userId,
      organizationId,
      memberships: roles,
      ...(owner ? { orgRole: 'owner' as const } : {}),
      ...(email !== undefined ? { email } : {}),
    };
  }

  private touch(key: string, now: Date, write: () => Promise<unknown>): void {
    const last = this.lastUseWritten.get(key);
    if (last !== undefined && now.getTime() - last < this.interval) return;
    this.lastUseWritten.set(key, now.getTime());
    if (this.lastUseWritten.size > 100_000) this.lastUseWritten.clear();
    write().catch((error: unknown) => {
      this.lastUseWritten.delete(key);
      this.deps.logger?.warn({ err: error, credential: key }, 'could not record the last use of a credential');
    });
  }
}

const ORGANIZATION_PATH = /^\/v1\/organizations\/([^/]+)/;
/** The organizations of a memberships object (never changed once loaded), sorted by id. */
const organizationsOf = new WeakMap<Memberships, readonly string[]>();
const WORKSPACE_PATH = /^\/v1\/workspaces\/([^/]+)/;

/**
 * The organization a user acts in: the only one they belong to; for someone in
 * several, the one the path names (`/v1/organizations/{orgId}`, or the
 * organization of `/v1/workspaces/{wsId}`), else the first (by id). The
 * authorizer walls off everything outside it.
 */
export function organizationFor(memberships: Memberships, path: string): string | undefined {
  let organizations = organizationsOf.get(memberships);
  if (organizations === undefined) {
    organizations = [
      ...new Set([...memberships.organizations.map((o) => o.organizationId), ...memberships.workspaces.map((w) => w.organizationId)]),
    ].sort();
    organizationsOf.set(memberships, organizations);
  }
  if (organizations.length <= 1) return organizations[0];
  const named = decodeSegment(ORGANIZATION_PATH.exec(path)?.[1]);
  if (named !== undefined && organizations.includes(named)) return named;
  const workspace = decodeSegment(WORKSPACE_PATH.exec(path)?.[1]);
  const viaWorkspace = memberships.workspaces.find((membership) => membership.workspaceId === workspace)?.organizationId;
  return viaWorkspace ?? organizations[0];
}

function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
