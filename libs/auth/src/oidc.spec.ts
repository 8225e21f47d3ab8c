import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { AuthError, AuthErrorCode } from './auth.error';
import { createOidcVerifier, createOidcVerifierFromEnv, oidcConfigFromEnv, type OidcVerifier } from './oidc';

// A real identity provider's key endpoint, served over HTTP on the loopback interface.
interface Jwks {
  server: Server;
  url: string;
  requests: number;
  status: number;
  body: string;
}

async function serveJwks(keys: JWK[]): Promise<Jwks> {
  const state = { requests: 0, status: 200, body: JSON.stringify({ keys }) } as Jwks;
  state.server = createServer((req, res) => {
    state.requests += 1;
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(state.body);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'steward-api';

let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let jwks: Jwks;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  jwks = await serveJwks([{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }]);
});

afterAll(async () => {
  await new Promise<void>((resolve) => jwks.server.close(() => resolve()));
});

function sign(
  claims: Record<string, unknown> = { email: 'ada@example.test', email_verified: true, name: 'Ada' },
  options: { key?: CryptoKey; kid?: string; issuer?: string; audience?: string; subject?: string | null; expiresAt?: number | string } = {},
): Promise<string> {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? '10m');
  if (options.subject !== null) jwt = jwt.setSubject(options.subject ?? 'user-123');
  return jwt.sign(options.key ?? signingKey);
}

function verifier(overrides: { jwksUrl?: string } = {}): OidcVerifier {
  return createOidcVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: overrides.jwksUrl ?? jwks.url, jwksTimeoutMs: 2000 });
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError');
}

describe('createOidcVerifier', () => {
  it('accepts a valid token and maps its claims to an identity, fetching the keys over HTTP', async () => {
    const before = jwks.requests;
    const identity = await verifier().verify(await sign());
    expect(identity).toEqual({
      issuer: ISSUER,
      subject: 'user-123',
      email: 'ada@example.test',
      emailVerified: true,
      name: 'Ada',
      expiresAt: expect.any(Date),
    });
    expect(identity.expiresAt.getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(jwks.requests).toBe(before + 1);
  });

  it('leaves out the claims the provider did not send', async () => {
    const identity = await verifier().verify(await sign({}));
    expect(identity).toEqual({ issuer: ISSUER, subject: 'user-123', expiresAt: expect.any(Date) });
  });

  it('caches the key set between verifications', async () => {
    const v = verifier();
    const before = jwks.requests;
    await v.verify(await sign());
    await v.verify(await sign());
    expect(jwks.requests).toBe(before + 1);
  });

  it('refuses a token for another audience', async () => {
    const error = await refusal(verifier().verify(await sign(undefined, { audience: 'someone-else' })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });

  it('refuses a token from another issuer', async () => {
    const error = await refusal(verifier().verify(await sign(undefined, { issuer: 'https://evil.example.test/' })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ claim: 'iss' });
  });

  it('refuses an expired token', async () => {
    const error = await refusal(verifier().verify(await sign(undefined, { expiresAt: Math.floor(Date.now() / 1000) - 3600 })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ reason: 'ERR_JWT_EXPIRED' });
    expect(error.detail).toBe('The credentials are not valid.');
  });

  it('refuses a bad signature: signed by another key under the trusted kid, or tampered with', async () => {
    const forged = await refusal(verifier().verify(await sign(undefined, { key: strangerKey })));
    expect(forged.code).toBe(AuthErrorCode.InvalidToken);
    expect(forged.details).toMatchObject({ reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

    const [header, , signature] = (await sign()).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    const tampered = await refusal(verifier().verify(`${header}.${payload}.${signature}`));
    expect(tampered.code).toBe(AuthErrorCode.InvalidToken);
  });

  it('refuses a key id the provider does not publish', async () => {
    const error = await refusal(verifier().verify(await sign(undefined, { key: strangerKey, kid: 'unknown' })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ reason: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('refuses unsigned and HMAC tokens', async () => {
    const claims = { sub: 'u', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 };
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect((await refusal(verifier().verify(none))).code).toBe(AuthErrorCode.InvalidToken);
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode('x'.repeat(32)));
    const error = await refusal(verifier().verify(hmac));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ reason: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('refuses a token without a subject, and garbage', async () => {
    expect((await refusal(verifier().verify(await sign(undefined, { subject: null })))).code).toBe(AuthErrorCode.InvalidToken);
    expect((await refusal(verifier().verify('not-a-jwt'))).code).toBe(AuthErrorCode.InvalidToken);
  });

  it('reports the provider, not the token, when the key set cannot be had', async () => {
    const stopped = await serveJwks([]);
    const url = stopped.url;
    await new Promise<void>((resolve) => stopped.server.close(() => resolve()));
    const down = await refusal(verifier({ jwksUrl: url }).verify(await sign()));
    expect(down.code).toBe(AuthErrorCode.IdentityProviderUnavailable);

    const failing = await serveJwks([]);
    try {
      failing.status = 500;
      expect((await refusal(verifier({ jwksUrl: failing.url }).verify(await sign()))).code).toBe(AuthErrorCode.IdentityProviderUnavailable);
      failing.status = 200;
      failing.body = '{"keys": "nope"}';
      expect((await refusal(verifier({ jwksUrl: failing.url }).verify(await sign()))).code).toBe(AuthErrorCode.IdentityProviderUnavailable);
      expect(failing.requests).toBe(2);
    } finally {
      await new Promise<void>((resolve) => failing.server.close(() => resolve()));
    }
  });

  it('refuses a configuration that would fetch keys in clear text from another host, or lacks issuer/audience', () => {
    const config = { issuer: ISSUER, audience: AUDIENCE };
    expect(() => createOidcVerifier({ ...config, jwksUrl: 'http://idp.example.test/jwks' })).toThrow(AuthError);
    expect(() => createOidcVerifier({ ...config, jwksUrl: 'not a url' })).toThrow(AuthError);
    expect(() => createOidcVerifier({ ...config, issuer: '', jwksUrl: jwks.url })).toThrow(AuthError);
    expect(() => createOidcVerifier({ ...config, jwksUrl: 'https://idp.example.test/jwks' })).not.toThrow();
  });
});

describe('oidcConfigFromEnv / createOidcVerifierFromEnv', () => {
  const env = { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: 'https://idp.example.test/jwks' };

  it('is disabled when no OIDC variable is set (empty counts as unset)', () => {
    expect(oidcConfigFromEnv({})).toBeUndefined();
    expect(oidcConfigFromEnv({ OIDC_ISSUER: '', PATH: '/bin' })).toBeUndefined();
    expect(createOidcVerifierFromEnv({})).toBeUndefined();
  });

  it('reads the three variables', () => {
    expect(oidcConfigFromEnv(env)).toEqual({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'https://idp.example.test/jwks' });
  });

  it('refuses a partial or invalid configuration, naming what is wrong', () => {
    try {
      oidcConfigFromEnv({ OIDC_ISSUER: ISSUER });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(AuthError.is(error, AuthErrorCode.InvalidConfiguration)).toBe(true);
      expect((error as AuthError).details).toEqual({ missing: ['OIDC_AUDIENCE', 'OIDC_JWKS_URL'] });
    }
    expect(() => oidcConfigFromEnv({ ...env, OIDC_JWKS_URL: 'nope' })).toThrow(/OIDC_JWKS_URL/);
    expect(() => oidcConfigFromEnv({ ...env, OIDC_JWKS_URL: 'http://idp.example.test/jwks' })).toThrow(/https/);
  });

  it('builds a working verifier from the environment', async () => {
    const v = createOidcVerifierFromEnv({ ...env, OIDC_JWKS_URL: jwks.url });
    expect(v).toBeDefined();
    expect((await v?.verify(await sign()))?.subject).toBe('user-123');
  });
});
