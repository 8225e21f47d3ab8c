/**
 * The signed-in person's token, kept for the browser tab's session (sessionStorage: closing the tab signs out,
 * nothing survives in localStorage). `expire()` is what a 401 calls, and what a token with an expiry (single
 * sign-on) calls when it runs out: the app listens and returns to sign-in.
 */
const TOKEN_KEY = 'steward.token';
const EXPIRES_KEY = 'steward.token.expires';
const WORKSPACE_KEY = 'steward.workspace.';
const ORGANIZATION_KEY = 'steward.organization';

type Listener = (reason: 'signed-in' | 'signed-out' | 'expired') => void;
const listeners = new Set<Listener>();

function notify(reason: Parameters<Listener>[0]): void {
  for (const listener of listeners) listener(reason);
}

let expiryTimer: ReturnType<typeof setTimeout> | undefined;

/** Ends the session when the kept token's expiry passes (setTimeout holds at most 2^31-1 ms: re-armed past that). */
function armExpiry(): void {
  clearTimeout(expiryTimer);
  const expires = Number(sessionStorage.getItem(EXPIRES_KEY) ?? NaN);
  if (!Number.isFinite(expires) || sessionStorage.getItem(TOKEN_KEY) === null) return;
  const wait = expires - Date.now();
  expiryTimer = setTimeout(() => (expires <= Date.now() ? session.expire() : armExpiry()), Math.min(Math.max(wait, 0), 2 ** 31 - 1));
}

export const session = {
  /** The token, unless its expiry has passed (a tab reopened later must not send a dead token). */
  token(): string | undefined {
    const expires = Number(sessionStorage.getItem(EXPIRES_KEY) ?? NaN);
    if (Number.isFinite(expires) && expires <= Date.now()) return undefined;
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  },
  /** `expiresAt`: when the token stops working (an OIDC token's `exp`); a user token has none. */
  signIn(token: string, expiresAt?: Date): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    if (expiresAt === undefined) sessionStorage.removeItem(EXPIRES_KEY);
    else sessionStorage.setItem(EXPIRES_KEY, String(expiresAt.getTime()));
    armExpiry();
    notify('signed-in');
  },
  signOut(): void {
    clearTimeout(expiryTimer);
    sessionStorage.clear();
    notify('signed-out');
  },
  expire(): void {
    clearTimeout(expiryTimer);
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(EXPIRES_KEY);
    notify('expired');
  },
  /** The organization last chosen in the switcher (where screens outside an organization's URL place you). */
  lastOrganization(): string | undefined {
    return sessionStorage.getItem(ORGANIZATION_KEY) ?? undefined;
  },
  rememberOrganization(organizationId: string): void {
    sessionStorage.setItem(ORGANIZATION_KEY, organizationId);
  },
  /** The workspace last chosen in an organization (the switcher's selection while on an organization screen). */
  lastWorkspace(organizationId: string): string | undefined {
    return sessionStorage.getItem(WORKSPACE_KEY + organizationId) ?? undefined;
  },
  rememberWorkspace(organizationId: string, workspaceId: string): void {
    sessionStorage.setItem(WORKSPACE_KEY + organizationId, workspaceId);
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// a reloaded tab keeps its session: its token's expiry still applies
armExpiry();
