import {
  AuthError,
  AuthErrorCode,
  readBearerCredential,
  verifyApiKey,
  verifyUserToken,
  type ApiKeyPrincipal,
  type BearerCredential,
  type OidcVerifier,
} from '@steward/auth';
import type { Logger } from '@steward/observability';
import type pg from 'pg';
import { UserTokenCredentials, type ApiKeyUsageRecorder, type TeamCredentialRepository } from '@steward/team-rbac';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import type { AuthenticationRequest, Authenticator } from '../route';
import { CredentialCache, type CredentialCacheOptions } from './credential.cache';
import { personPrincipal, type StewardUserPrincipal } from './person.principal';

export type { StewardUserPrincipal } from './person.principal';
/** A libs/auth API key principal plus the `id` the gateway keys rate limits and idempotency by. */
export type StewardApiKeyPrincipal = ApiKeyPrincipal & { readonly id: string };
export type StewardPrincipal = StewardUserPrincipal | StewardApiKeyPrincipal;

/** Last use is written at most this often per key or token (fire-and-forget). */
export const LAST_USED_INTERVAL_MS = 60_000;

export interface StewardAuthenticatorDeps {
  /** The database of the team's user tokens (`steward_gateway.user_tokens`). */
  readonly pool: pg.Pool;
  /** API keys by prefix, people by email, their memberships: the team context's credential lookups. */
  readonly credentials: TeamCredentialRepository;
  /** Where a key's last use is written. */
  readonly apiKeyUse: ApiKeyUsageRecorder;
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
 * - User token `stu_…`: by id in the team's user tokens (UserTokenCredentials), hash verified,
 *   refused when revoked.
 * - JWT: only when OIDC is configured; the verified email must belong to a
 *   known user (a member in the read model, or a token holder).
 *
 * A user principal carries every organization the person belongs to and their
 * roles in the first (see StewardUserPrincipal): the authorizer narrows it to
 * the organization of each request's target. Anything not
 * accepted is `undefined` (the gateway answers 401); an unreachable identity
 * provider is a 503.
 */
export class StewardAuthenticator implements Authenticator {
  private readonly tokens: UserTokenCredentials;
  private readonly lastUseWritten = new Map<string, number>();
  private readonly interval: number;
  private readonly now: () => Date;
  private readonly cache: CredentialCache;

  constructor(private readonly deps: StewardAuthenticatorDeps) {
    this.tokens = new UserTokenCredentials(deps.pool);
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
        return this.userToken(credential.id, credential.token);
      case 'jwt':
        return this.jwt(credential.token);
      default: {
        const _exhaustive: never = credential;
        return _exhaustive;
      }
    }
  }

  private async apiKey(prefix: string, token: string): Promise<StewardApiKeyPrincipal | undefined> {
    const key = await this.cache.get(`api_key:${prefix}`, () => this.deps.credentials.authenticateApiKey(prefix));
    if (!key || !verifyApiKey(token, key.hash) || key.revoked) return undefined;
    const now = this.now();
    if (key.expiresAt !== null && new Date(key.expiresAt).getTime() <= now.getTime()) return undefined;
    this.touch(`api_key:${key.keyId}`, now, () => this.deps.apiKeyUse.recordUse(key.workspaceId, key.keyId, now));
    return {
      kind: 'api_key',
      id: key.keyId,
      keyId: key.keyId,
      organizationId: key.organizationId,
      workspaceId: key.workspaceId,
      scopes: key.scopes,
    };
  }

  private async userToken(tokenId: string, token: string): Promise<StewardUserPrincipal | undefined> {
    const record = await this.cache.get(`user_token:${tokenId}`, () => this.tokens.find(tokenId));
    if (!record || record.revoked || !verifyUserToken(token, record.hash)) return undefined;
    const now = this.now();
    this.touch(`user_token:${record.id}`, now, () => this.tokens.recordUse(record.id, now));
    return this.userPrincipal(record.userId, record.email);
  }

  private async jwt(token: string): Promise<StewardUserPrincipal | undefined> {
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
    const userId = (await this.deps.credentials.memberByEmail(email))?.userId ?? (await this.tokens.userIdForEmail(email));
    return userId === undefined ? undefined : this.userPrincipal(userId, email.toLowerCase());
  }

  /** The person with every organization they belong to (see personPrincipal: one principal per cached lookup). */
  private async userPrincipal(userId: string, email: string | undefined): Promise<StewardUserPrincipal> {
    const memberships = await this.cache.get(`memberships:${userId}`, () => this.deps.credentials.membershipsOf(userId));
    return personPrincipal(memberships, email);
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
