/**
 * A fake OpenID Connect provider for the console's single sign-on tests (the provider is outside Steward): a
 * local HTTP server with discovery, a JWKS (an RS256 key made by jose), `/authorize` that approves at once as
 * the person the test chose and redirects back with a code, and `/token` that checks the code, the client,
 * the redirect URI and the PKCE verifier (S256) before answering signed ID and access tokens, with CORS for
 * the browser. Each code is used once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

export interface FakeOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly jwksUrl: string;
  readonly tokenEndpoint: string;
  /** The person the next /authorize signs in (a real provider would ask them for a password). */
  signInAs(email: string): void;
  /** The next /authorize answers with another state than it was given (a forged redirect). */
  forgeNextState(): void;
  /** Lifetime of the tokens issued from now on, in seconds (default 600). */
  setTokenLifetime(seconds: number): void;
  /** How many code exchanges /token answered successfully. */
  exchanges(): number;
  /** What each /authorize was asked (the query), oldest first. */
  readonly authorizeRequests: ReadonlyArray<Readonly<Record<string, string>>>;
  close(): Promise<void>;
}

interface Grant {
  readonly email: string;
  readonly nonce: string;
  readonly challenge: string;
  readonly redirectUri: string;
}

const base64Url = (bytes: Buffer): string => bytes.toString('base64url');

export async function startFakeOidcProvider(clientId = 'steward-console'): Promise<FakeOidcProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'fake-1', alg: 'RS256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const authorizeRequests: Array<Record<string, string>> = [];
  let email = 'nobody@example.test';
  let forgeState = false;
  let lifetime = 600;
  let exchanges = 0;
  let issuer = '';

  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    response.end(JSON.stringify(body));
  };

  const sign = (claims: Record<string, unknown>, audience: string, subject: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + lifetime)
      .sign(privateKey);

  const token = async (request: IncomingMessage, response: ServerResponse) => {
    const origin = request.headers.origin;
    const cors: Record<string, string> = origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' });
      response.end();
      return;
    }
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const form = new URLSearchParams(text);
    const code = form.get('code') ?? '';
    const grant = grants.get(code);
    grants.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    const refusal =
      form.get('grant_type') !== 'authorization_code' ? 'unsupported grant_type'
      : grant === undefined ? 'unknown or used code'
      : form.get('client_id') !== clientId ? 'wrong client_id'
      : form.get('redirect_uri') !== grant.redirectUri ? 'redirect_uri differs from the authorization request'
      : base64Url(createHash('sha256').update(verifier).digest()) !== grant.challenge ? 'PKCE verification failed'
      : undefined;
    if (refusal !== undefined || grant === undefined) {
      json(response, 400, { error: 'invalid_grant', error_description: refusal }, cors);
      return;
    }
    const subject = `fake|${grant.email}`;
    const identity = { email: grant.email, email_verified: true };
    exchanges++;
    json(
      response,
      200,
      {
        token_type: 'Bearer',
        expires_in: lifetime,
        id_token: await sign({ ...identity, nonce: grant.nonce }, clientId, subject),
        access_token: await sign({ ...identity, scope: 'openid email' }, 'fake-api', subject),
      },
      cors,
    );
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      json(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } else if (url.pathname === '/jwks') {
      json(response, 200, { keys: [jwk] });
    } else if (url.pathname === '/authorize') {
      const query = Object.fromEntries(url.searchParams);
      authorizeRequests.push(query);
      const complete = query.response_type === 'code' && query.client_id === clientId && query.code_challenge_method === 'S256' && query.code_challenge && query.state && query.nonce && query.redirect_uri;
      if (!complete) {
        json(response, 400, { error: 'invalid_request' });
        return;
      }
      const code = base64Url(randomBytes(24));
      grants.set(code, { email, nonce: query.nonce!, challenge: query.code_challenge!, redirectUri: query.redirect_uri! });
      const back = new URL(query.redirect_uri!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', forgeState ? base64Url(randomBytes(16)) : query.state!);
      forgeState = false;
      response.writeHead(302, { location: back.toString() });
      response.end();
    } else if (url.pathname === '/token') {
      token(request, response).catch((error: unknown) => json(response, 500, { error: 'server_error', error_description: String(error) }));
    } else {
      json(response, 404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId,
    jwksUrl: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    signInAs: (next) => {
      email = next;
    },
    forgeNextState: () => {
      forgeState = true;
    },
    setTokenLifetime: (seconds) => {
      lifetime = seconds;
    },
    exchanges: () => exchanges,
    authorizeRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
