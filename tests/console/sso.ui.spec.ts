/**
 * Single sign-on in the console, in Chromium against one stack whose gateway trusts a fake OIDC provider
 * (tests/console/support/fake-oidc-provider.ts, outside Steward): GET /v1/auth/config and the CSP naming the
 * token endpoint; a known member signs in with Authorization Code + PKCE and lands on their dashboard; an
 * unknown email, a forged state and an expired token each end back at sign-in with their message, nothing kept.
 */
import type { Page } from 'playwright-core';
import { SIGN_IN } from '@steward/console';
import { type Person, uniqueEmail } from '../gateway/support/gateway-client';
import { type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';
import { type FakeOidcProvider, startFakeOidcProvider } from './support/fake-oidc-provider';

jest.setTimeout(90_000);

const TOKEN_KEY = 'steward.token';

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('console sign-in with SSO (OIDC)', () => {
  let provider: FakeOidcProvider;
  let harness: ConsoleHarness;
  let member: Person;

  beforeAll(async () => {
    provider = await startFakeOidcProvider();
    harness = await startConsoleHarness({
      stack: {
        env: {
          OIDC_ISSUER: provider.issuer,
          // the console's client id as the audience: the gateway accepts the ID token as the bearer
          OIDC_AUDIENCE: provider.clientId,
          OIDC_JWKS_URL: provider.jwksUrl,
          OIDC_CONSOLE_CLIENT_ID: provider.clientId,
        },
      },
    });
    member = await harness.fixtures.newMember(harness.stack.ownerToken, harness.stack.workspaceId, 'viewer', 'sso-member');
  }, 180_000);

  afterAll(async () => {
    await harness?.close();
    await provider?.close();
  });

  const startSso = async (): Promise<Page> => {
    const page = await harness.open({ path: '/sign-in' });
    await page.getByRole('button', { name: SIGN_IN.sso }).click();
    return page;
  };
  const keptToken = (page: Page) => page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);

  it('tells the console how to sign in, and its CSP lets it reach the token endpoint and nothing else', async () => {
    const config = await harness.api('').GET('/v1/auth/config');
    expect(config.data).toEqual({
      oidc: {
        issuer: provider.issuer,
        clientId: provider.clientId,
        scopes: ['openid', 'email', 'profile'],
        authorizationEndpoint: `${provider.issuer}/authorize`,
        tokenEndpoint: provider.tokenEndpoint,
        bearer: 'id_token',
      },
    });
    const page = await fetch(`${harness.stack.url}/sign-in`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${provider.tokenEndpoint};`);
  });

  it('a known member signs in with SSO (code + PKCE S256) and sees their dashboard', async () => {
    provider.signInAs(member.email);
    const page = await harness.open({ path: '/sign-in' });
    await page.getByRole('button', { name: SIGN_IN.sso }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in-sso');
    const before = provider.exchanges();
    await page.getByRole('button', { name: SIGN_IN.sso }).click();
    await page.waitForURL(`**/organizations/${harness.stack.organizationId}/overview`);
    await page.getByRole('heading', { name: 'My Organization' }).waitFor();

    const asked = provider.authorizeRequests.at(-1)!;
    expect(asked).toMatchObject({ response_type: 'code', client_id: provider.clientId, code_challenge_method: 'S256', redirect_uri: `${harness.stack.url}/sign-in/sso` });
    expect(asked.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(provider.exchanges()).toBe(before + 1);
    // the session holds the provider's ID token for this member (not a user token), and it works on the API
    const token = (await keptToken(page))!;
    expect(claimsOf(token)).toMatchObject({ email: member.email, aud: provider.clientId, nonce: asked.nonce });
    const me = await harness.api(token).GET('/v1/me');
    expect(me.data?.email).toBe(member.email);
    expect(policyViolations(page)).toEqual([]);
  });

  it('refuses a provider identity Steward does not know, saying so, and keeps nothing', async () => {
    const stranger = uniqueEmail('sso-stranger');
    provider.signInAs(stranger);
    const page = await startSso();
    await page.getByRole('alert').filter({ hasText: SIGN_IN.ssoUnknownMember(stranger) }).waitFor();
    expect(await keptToken(page)).toBeNull();
    expect(new URL(page.url()).search).toBe('');
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
    await page.getByRole('link', { name: SIGN_IN.ssoBack }).click();
    await page.getByRole('button', { name: SIGN_IN.sso }).waitFor();
  });

  it('refuses an answer whose state was forged before its code is exchanged', async () => {
    provider.signInAs(member.email);
    provider.forgeNextState();
    const before = provider.exchanges();
    const page = await harness.open({ path: '/sign-in' });
    const callback = page.waitForRequest((request) => request.url().includes('/sign-in/sso?code='));
    await page.getByRole('button', { name: SIGN_IN.sso }).click();
    const callbackUrl = (await callback).url();
    await page.getByRole('alert').filter({ hasText: SIGN_IN.ssoState }).waitFor();
    expect(provider.exchanges()).toBe(before);
    expect(await keptToken(page)).toBeNull();
    // the pending sign-in was used up: the same answer again is refused too, its code still unused
    await page.goto(callbackUrl);
    await page.getByRole('alert').filter({ hasText: SIGN_IN.ssoNotStarted }).waitFor();
    expect(provider.exchanges()).toBe(before);
  });

  it('returns to sign-in when the SSO token expires', async () => {
    provider.signInAs(member.email);
    provider.setTokenLifetime(4);
    try {
      const page = await startSso();
      await page.waitForURL(`**/organizations/${harness.stack.organizationId}/overview`);
      await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('reason') === 'expired', { timeout: 15_000 });
      await page.getByText(SIGN_IN.expired).waitFor();
      expect(await keptToken(page)).toBeNull();
    } finally {
      provider.setTokenLifetime(600);
    }
  });
});
