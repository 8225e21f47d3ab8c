import { z } from 'zod';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AuthError, AuthErrorCode } from './auth.error';

export interface OidcConfig {
  /** Expected `iss`. */
  readonly issuer: string;
  /** Expected `aud` (Steward's client id / API identifier). */
  readonly audience: string;
  /** Where the provider publishes its signing keys. https, or http on a loopback host only. */
  readonly jwksUrl: string;
  /** Allowed clock skew for exp/nbf/iat, in seconds. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Timeout of a key set fetch, in milliseconds. Default 5000. */
  readonly jwksTimeoutMs?: number;
}

/** Who an OIDC token says the caller is; the gateway maps it to a Steward user by subject or email. */
export interface OidcIdentity {
  readonly issuer: string;
  /** `sub`: stable identifier at the provider. */
  readonly subject: string;
  /** `email`, when the provider sent one. */
  readonly email?: string;
  /** `email_verified`, when the provider sent it. */
  readonly emailVerified?: boolean;
  /** `name`, when the provider sent one. */
  readonly name?: string;
  /** `exp` as a Date. */
  readonly expiresAt: Date;
}

export interface OidcVerifier {
  readonly config: OidcConfig;
  /** Verifies signature (keys from the JWKS), issuer, audience, expiry; throws AuthError otherwise. */
  verify(token: string): Promise<OidcIdentity>;
}

/** Asymmetric signatures only: a JWKS publishes public keys, and `none`/HMAC must never be accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function checkedJwksUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new AuthError(AuthErrorCode.InvalidConfiguration, `OIDC JWKS URL is not a URL: ${text}`, {}, { cause });
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  throw new AuthError(AuthErrorCode.InvalidConfiguration, `OIDC JWKS URL must use https (http only on a loopback host): ${text}`);
}

const UNAVAILABLE_CODES = new Set([joseErrors.JWKSTimeout.code, joseErrors.JWKSInvalid.code, joseErrors.JOSEError.code]);

function invalid(reason: string, message: string, cause: unknown): AuthError {
  return new AuthError(AuthErrorCode.InvalidToken, message, { reason }, { cause, detail: 'The credentials are not valid.' });
}

function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof joseErrors.JOSEError) {
    if (UNAVAILABLE_CODES.has(error.code)) {
      return new AuthError(AuthErrorCode.IdentityProviderUnavailable, `OIDC key set unavailable: ${error.message}`, { reason: error.code }, { cause: error });
    }
    if (error instanceof joseErrors.JWTExpired) return invalid(error.code, 'the token has expired', error);
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      return new AuthError(AuthErrorCode.InvalidToken, `claim ${error.claim} rejected: ${error.reason}`, { reason: error.code, claim: error.claim }, {
        cause: error,
        detail: 'The credentials are not valid.',
      });
    }
    return invalid(error.code, `the token was refused: ${error.message}`, error);
  }
  // fetch() itself failed (connection refused, DNS, TLS): the provider, not the token.
  return new AuthError(AuthErrorCode.IdentityProviderUnavailable, 'OIDC key set could not be fetched', { reason: 'fetch' }, { cause: error });
}

function identityOf(issuer: string, payload: JWTPayload): OidcIdentity {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new AuthError(AuthErrorCode.InvalidToken, 'the token has no subject', { reason: 'sub' }, { detail: 'The credentials are not valid.' });
  }
  if (typeof payload.exp !== 'number') {
    throw new AuthError(AuthErrorCode.InvalidToken, 'the token has no expiry', { reason: 'exp' }, { detail: 'The credentials are not valid.' });
  }
  const email = payload['email'];
  const emailVerified = payload['email_verified'];
  const name = payload['name'];
  return {
    issuer,
    subject,
    ...(typeof email === 'string' ? { email } : {}),
    ...(typeof emailVerified === 'boolean' ? { emailVerified } : {}),
    ...(typeof name === 'string' ? { name } : {}),
    expiresAt: new Date(payload.exp * 1000),
  };
}

/**
 * An OIDC access/ID token verifier: keys fetched from the provider's JWKS (cached by jose, refetched on an
 * unknown `kid`), RS/PS/ES/EdDSA signatures only, `iss` and `aud` exact, `exp` required.
 */
export function createOidcVerifier(config: OidcConfig): OidcVerifier {
  if (config.issuer === '' || config.audience === '') {
    throw new AuthError(AuthErrorCode.InvalidConfiguration, 'OIDC issuer and audience must not be empty');
  }
  const jwks = createRemoteJWKSet(checkedJwksUrl(config.jwksUrl), { timeoutDuration: config.jwksTimeoutMs ?? 5000 });
  return {
    config,
    async verify(token: string): Promise<OidcIdentity> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: ALGORITHMS,
          clockTolerance: config.clockToleranceSeconds ?? 5,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (error) {
        throw toAuthError(error);
      }
      return identityOf(config.issuer, payload);
    },
  };
}

const OidcEnvSchema = z.object({
  OIDC_ISSUER: z.string().min(1).optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.url().optional(),
});

/**
 * OIDC configuration from OIDC_ISSUER / OIDC_AUDIENCE / OIDC_JWKS_URL: undefined (OIDC disabled) when none
 * is set; AuthError INVALID_CONFIGURATION when only some are, or one is invalid.
 */
export function oidcConfigFromEnv(env: NodeJS.ProcessEnv = process.env): OidcConfig | undefined {
  const present = Object.fromEntries(
    ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'].flatMap((name) => (env[name] === undefined || env[name] === '' ? [] : [[name, env[name]]])),
  );
  if (Object.keys(present).length === 0) return undefined;
  const parsed = OidcEnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AuthError(AuthErrorCode.InvalidConfiguration, `invalid OIDC configuration: ${problems.join('; ')}`);
  }
  const { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience, OIDC_JWKS_URL: jwksUrl } = parsed.data;
  if (issuer === undefined || audience === undefined || jwksUrl === undefined) {
    const missing = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'].filter((name) => !(name in present));
    throw new AuthError(AuthErrorCode.InvalidConfiguration, `OIDC is partly configured: set ${missing.join(', ')} too, or none of them`, { missing });
  }
  checkedJwksUrl(jwksUrl);
  return { issuer, audience, jwksUrl };
}

/** The verifier configured by the environment, or undefined when OIDC is disabled. */
export function createOidcVerifierFromEnv(env: NodeJS.ProcessEnv = process.env): OidcVerifier | undefined {
  const config = oidcConfigFromEnv(env);
  return config === undefined ? undefined : createOidcVerifier(config);
}
