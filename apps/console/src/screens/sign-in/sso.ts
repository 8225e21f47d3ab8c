/**
 * Single sign-on in the browser: OIDC Authorization Code with PKCE (S256) as a public client. `startSso` keeps
 * the one-use values (verifier, state, nonce) in the tab's sessionStorage and leaves for the provider;
 * `finishSso`, on the way back, checks state before anything else, exchanges the code at the token endpoint
 * (the console's CSP allows exactly that URL when SSO is configured), and checks the ID token's nonce, issuer
 * and audience. The token's signature is checked by the gateway on every request it carries.
 */
import type { paths as ApiPaths } from '../../api/schema.generated';
import { paths } from '../../routing/paths';
import { codeChallenge, jwtClaims, randomToken } from '../../session/pkce';
import { SIGN_IN } from '../../texts';

export type SsoConfig = NonNullable<ApiPaths['/v1/auth/config']['get']['responses'][200]['content']['application/json']['oidc']>;

const PENDING_KEY = 'steward.sso.pending';

interface Pending {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly next: string;
  readonly config: SsoConfig;
}

/** A sign-in that cannot go on; its message is for the person. */
export class SsoError extends Error {
  override readonly name = 'SsoError';
}

export function ssoRedirectUri(): string {
  return `${window.location.origin}${paths.signInSso}`;
}

export async function startSso(config: SsoConfig, next: string): Promise<void> {
  const pending: Pending = { state: randomToken(16), nonce: randomToken(16), verifier: randomToken(32), next, config };
  const url = new URL(config.authorizationEndpoint);
  const query = {
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: ssoRedirectUri(),
    scope: config.scopes.join(' '),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(url.toString());
}

export interface SsoResult {
  readonly token: string;
  readonly expiresAt: Date;
  readonly next: string;
  /** Who the provider says signed in (for the message when Steward does not know them). */
  readonly email: string | undefined;
}

function takePending(): Pending | undefined {
  const text = sessionStorage.getItem(PENDING_KEY);
  // one use: a second visit of the same callback URL (reload, back) must not replay the sign-in
  sessionStorage.removeItem(PENDING_KEY);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Pending;
  } catch {
    return undefined;
  }
}

function audienceIncludes(aud: unknown, clientId: string): boolean {
  return aud === clientId || (Array.isArray(aud) && aud.includes(clientId));
}

export async function finishSso(search: URLSearchParams): Promise<SsoResult> {
  const pending = takePending();
  if (pending === undefined) throw new SsoError(SIGN_IN.ssoNotStarted);
  // RFC 6749 10.12: an answer whose state is not ours (a forged or replayed redirect) is dropped, code unused
  if (search.get('state') !== pending.state) throw new SsoError(SIGN_IN.ssoState);
  const refused = search.get('error');
  if (refused !== null) throw new SsoError(SIGN_IN.ssoRefused(search.get('error_description') ?? refused));
  const code = search.get('code');
  if (code === null || code === '') throw new SsoError(SIGN_IN.ssoRefused('no authorization code'));

  const { config } = pending;
  const response = await fetch(config.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: ssoRedirectUri(), client_id: config.clientId, code_verifier: pending.verifier }),
    credentials: 'omit',
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new SsoError(SIGN_IN.ssoRefused(String(answer['error_description'] ?? answer['error'] ?? `token endpoint answered ${response.status}`)));

  const idToken = typeof answer['id_token'] === 'string' ? answer['id_token'] : '';
  const claims = jwtClaims(idToken);
  if (claims === undefined || claims['nonce'] !== pending.nonce || claims['iss'] !== config.issuer || !audienceIncludes(claims['aud'], config.clientId)) {
    throw new SsoError(SIGN_IN.ssoNonce);
  }
  const token = config.bearer === 'id_token' ? idToken : answer['access_token'];
  if (typeof token !== 'string' || token === '') throw new SsoError(SIGN_IN.ssoRefused(`no ${config.bearer} in the answer`));
  const exp = jwtClaims(token)?.['exp'];
  const expiresIn = answer['expires_in'];
  const expiresAt =
    typeof exp === 'number' ? new Date(exp * 1000) : new Date(Date.now() + (typeof expiresIn === 'number' ? expiresIn : 3600) * 1000);
  const email = claims['email'];
  return { token, expiresAt, next: pending.next, email: typeof email === 'string' ? email : undefined };
}
