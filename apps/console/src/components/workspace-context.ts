/**
 * Where the person is: the organization and workspace of the URL, else the ones they last chose in this session,
 * else their first seat. Every screen and the switcher read it from here.
 */
import { useSyncExternalStore } from 'react';
import { useLocation } from 'react-router';
import { type MyOrganization, type Workspace, roleIn, useMyOrganizations, useWorkspaces, type Role } from '../api/account.queries';
import { session } from '../session/session';

export interface ConsolePlace {
  readonly organizationId: string | undefined;
  readonly workspaceId: string | undefined;
  readonly organization: MyOrganization | undefined;
  readonly organizations: readonly MyOrganization[];
  readonly workspaces: readonly Workspace[];
  /** The caller's role in the current workspace (the organization-wide role when they have one). */
  readonly role: Role | undefined;
  /** The screen segment when on a workspace screen (`team-settings`), to keep it when the workspace changes. */
  readonly workspaceScreen: string | undefined;
  readonly loading: boolean;
}

export function parsePlace(pathname: string): { orgId?: string; wsId?: string; workspaceScreen?: string } {
  const match = /^\/organizations\/([^/]+)(?:\/workspaces\/([^/]+)\/([^/]+))?/.exec(pathname);
  if (match === null) return {};
  return {
    orgId: decodeURIComponent(match[1]!),
    ...(match[2] !== undefined ? { wsId: decodeURIComponent(match[2]), workspaceScreen: match[3]! } : {}),
  };
}

const choiceListeners = new Set<() => void>();

export function rememberOrganization(organizationId: string): void {
  session.rememberOrganization(organizationId);
}

/** The workspace chosen in the switcher while on an organization screen (kept for the session). */
export function chooseWorkspace(organizationId: string, workspaceId: string): void {
  session.rememberWorkspace(organizationId, workspaceId);
  for (const listener of choiceListeners) listener();
}

function subscribeToChoices(listener: () => void): () => void {
  choiceListeners.add(listener);
  return () => choiceListeners.delete(listener);
}

export function useConsolePlace(): ConsolePlace {
  const location = useLocation();
  const parsed = parsePlace(location.pathname);
  const organizations = useMyOrganizations();
  const items = organizations.data?.items ?? [];
  const remembered = session.lastOrganization();
  // the one remembered may be another person's (a new sign-in in this tab) or one they left
  const organizationId = parsed.orgId ?? (items.some((item) => item.id === remembered) ? remembered : items[0]?.id);
  const organization = items.find((candidate) => candidate.id === organizationId);
  const workspaces = useWorkspaces(organizationId);
  const list = workspaces.data ?? [];
  const rememberedWorkspace = useSyncExternalStore(subscribeToChoices, () => (organizationId !== undefined ? session.lastWorkspace(organizationId) : undefined));
  const workspaceId =
    parsed.wsId ??
    (list.some((workspace) => workspace.id === rememberedWorkspace) ? rememberedWorkspace : undefined) ??
    list.find((workspace) => organization?.workspaces.some((seat) => seat.workspaceId === workspace.id))?.id ??
    list[0]?.id;
  return {
    organizationId,
    workspaceId,
    organization,
    organizations: items,
    workspaces: list,
    role: roleIn(organization, workspaceId),
    workspaceScreen: parsed.workspaceScreen,
    loading: organizations.isPending || (organizationId !== undefined && workspaces.isPending),
  };
}
