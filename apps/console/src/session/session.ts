/**
 * The signed-in person's token, kept for the browser tab's session (sessionStorage: closing the tab signs out,
 * nothing survives in localStorage). `expire()` is what a 401 calls: the app listens and returns to sign-in.
 */
const TOKEN_KEY = 'steward.token';
const WORKSPACE_KEY = 'steward.workspace.';
const ORGANIZATION_KEY = 'steward.organization';

type Listener = (reason: 'signed-in' | 'signed-out' | 'expired') => void;
const listeners = new Set<Listener>();

function notify(reason: Parameters<Listener>[0]): void {
  for (const listener of listeners) listener(reason);
}

export const session = {
  token(): string | undefined {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  },
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    notify('signed-in');
  },
  signOut(): void {
    sessionStorage.clear();
    notify('signed-out');
  },
  expire(): void {
    sessionStorage.removeItem(TOKEN_KEY);
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
