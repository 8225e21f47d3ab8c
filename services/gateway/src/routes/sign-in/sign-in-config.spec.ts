import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consoleCsp } from '../../console/console-site';
import { oidcConsoleConfigFromEnv } from './oidc-console.config';
import { OidcDiscovery, OidcDiscoveryError } from './oidc-discovery';

const VERIFIER = { issuer: 'https://id.example.test', audience: 'steward-console', jwksUrl: 'https://id.example.test/jwks' };

describe('the console sign-in settings (OIDC_CONSOLE_*)', () => {
  it('are off without a client id, and refused with one but no OIDC verifier', () => {
    expect(oidcConsoleConfigFromEnv(VERIFIER, {})).toBeUndefined();
    expect(() => oidcConsoleConfigFromEnv(undefined, { OIDC_CONSOLE_CLIENT_ID: 'steward-console' })).toThrow('set OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL');
  });

  it('send the ID token when the audience is the client id, else the access token', () => {
    expect(oidcConsoleConfigFromEnv(VERIFIER, { OIDC_CONSOLE_CLIENT_ID: 'steward-console' })).toEqual({
      issuer: VERIFIER.issuer,
      clientId: 'steward-console',
      scopes: ['openid', 'email', 'profile'],
      bearer: 'id_token',
    });
    expect(oidcConsoleConfigFromEnv({ ...VERIFIER, audience: 'api://steward' }, { OIDC_CONSOLE_CLIENT_ID: 'spa', OIDC_CONSOLE_SCOPES: 'openid email api://steward/all' })).toMatchObject({
      scopes: ['openid', 'email', 'api://steward/all'],
      bearer: 'access_token',
    });
  });

  it('refuse scopes without openid', () => {
    expect(() => oidcConsoleConfigFromEnv(VERIFIER, { OIDC_CONSOLE_CLIENT_ID: 'spa', OIDC_CONSOLE_SCOPES: 'email profile' })).toThrow('OIDC_CONSOLE_SCOPES: must include openid');
  });

  it("widen the console's connect-src by the token endpoint only", () => {
    expect(consoleCsp('n')).toContain("connect-src 'self';");
    expect(consoleCsp('n', ['https://id.example.test/token'])).toContain("connect-src 'self' https://id.example.test/token;");
  });
});

describe('OidcDiscovery', () => {
  let server: Server;
  let issuer: string;
  let document: Record<string, unknown> | undefined;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests++;
      if (request.url !== '/.well-known/openid-configuration' || document === undefined) {
        response.writeHead(503).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const valid = () => ({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, code_challenge_methods_supported: ['S256'] });

  it('keeps the endpoints once the provider answered, and asks again after a failure only once the wait is over', async () => {
    let now = 0;
    const discovery = new OidcDiscovery(issuer, { retryAfterMs: 1_000, now: () => now });
    document = undefined;
    await expect(discovery.endpoints()).rejects.toThrow(OidcDiscoveryError);
    const afterFailure = requests;
    await expect(discovery.endpoints()).rejects.toThrow('answered 503');
    expect(requests).toBe(afterFailure);
    document = valid();
    now = 1_000;
    await expect(discovery.endpoints()).resolves.toEqual({ authorizationEndpoint: `${issuer}/authorize`, tokenEndpoint: `${issuer}/token` });
    document = undefined;
    await expect(discovery.endpoints()).resolves.toMatchObject({ tokenEndpoint: `${issuer}/token` });
    expect(discovery.current()?.tokenEndpoint).toBe(`${issuer}/token`);
  });

  it.each([
    ['another issuer', () => ({ ...valid(), issuer: 'https://evil.example.test' }), 'names issuer https://evil.example.test'],
    ['no S256', () => ({ ...valid(), code_challenge_methods_supported: ['plain'] }), 'does not support PKCE with S256'],
    ['a plain-http token endpoint off loopback', () => ({ ...valid(), token_endpoint: 'http://id.example.test/token' }), 'token_endpoint'],
  ])('refuses a document with %s', async (_name, make, message) => {
    document = make();
    await expect(new OidcDiscovery(issuer).endpoints()).rejects.toThrow(message);
  });
});
