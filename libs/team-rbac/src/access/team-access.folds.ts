import { loadStream, type Fold } from '@steward/commands';
import { TeamStreams, teamEventRegistry, type Role, type TeamEvent } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';

/*
 * The few facts access decisions need, folded from the team's streams. Read side only: the team-rbac
 * service's deciders keep their own, richer states; these stay small so that a change there (a new
 * field, a new rule) does not move the access checks every other context relies on.
 */

/** The people holding an owner seat in the organization: owners in every one of its workspaces. */
export interface OrganizationOwners {
  /** One seat per (workspace, person) holding the owner role there: a person stays an owner while any seat remains. */
  readonly seats: ReadonlyArray<{ readonly workspaceId: string; readonly userId: string }>;
}

export const organizationOwnersFold: Fold<OrganizationOwners, TeamEvent> = {
  initialState: { seats: [] },
  evolve(state, event) {
    switch (event.type) {
      case 'OrganizationCreated':
        return { seats: [{ workspaceId: event.data.firstWorkspaceId, userId: event.data.ownerUserId }] };
      case 'OrganizationOwnerAdded': {
        const { workspaceId, userId } = event.data;
        if (state.seats.some((seat) => seat.workspaceId === workspaceId && seat.userId === userId)) return state;
        return { seats: [...state.seats, { workspaceId, userId }] };
      }
      case 'OrganizationOwnerRemoved': {
        const { workspaceId, userId } = event.data;
        return { seats: state.seats.filter((seat) => !(seat.workspaceId === workspaceId && seat.userId === userId)) };
      }
      default:
        return state;
    }
  },
};

export function isOwner(owners: OrganizationOwners, userId: string): boolean {
  return owners.seats.some((seat) => seat.userId === userId);
}

/** A workspace's organization and its members' roles. */
export type WorkspaceMembership =
  | { readonly exists: false }
  | { readonly exists: true; readonly organizationId: string; readonly roles: Readonly<Record<string, Role>> };

export const workspaceMembershipFold: Fold<WorkspaceMembership, TeamEvent> = {
  initialState: { exists: false },
  evolve(state, event) {
    if (event.type === 'WorkspaceCreated') return { exists: true, organizationId: event.data.organizationId, roles: {} };
    if (!state.exists) return state;
    switch (event.type) {
      case 'MemberJoined':
        return { ...state, roles: { ...state.roles, [event.data.userId]: event.data.role } };
      case 'MemberRoleChanged':
        // a change for someone who is no member (anymore) grants nothing
        return Object.hasOwn(state.roles, event.data.userId) ? { ...state, roles: { ...state.roles, [event.data.userId]: event.data.to } } : state;
      case 'MemberRemoved': {
        const { [event.data.userId]: _removed, ...roles } = state.roles;
        return { ...state, roles };
      }
      default:
        return state;
    }
  },
};

/** What an API key may be used for: its workspace, its scopes, whether it still counts. */
export type ApiKeyGrant =
  | { readonly exists: false }
  | { readonly exists: true; readonly workspaceId: string; readonly scopes: readonly string[]; readonly revoked: boolean };

export const apiKeyGrantFold: Fold<ApiKeyGrant, TeamEvent> = {
  initialState: { exists: false },
  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyIssued':
        return { exists: true, workspaceId: event.data.workspaceId, scopes: event.data.scopes, revoked: false };
      case 'ApiKeyRevoked':
        return state.exists ? { ...state, revoked: true } : state;
      default:
        return state;
    }
  },
};

/** The team streams an access decision reads, each folded as it stands now (read-your-writes: no projection lag). */
export class TeamStreamFolds {
  constructor(private readonly store: EventStore) {}

  organizationOwners(organizationId: string): Promise<OrganizationOwners> {
    return this.fold(TeamStreams.organization(organizationId), organizationOwnersFold);
  }

  workspace(workspaceId: string): Promise<WorkspaceMembership> {
    return this.fold(TeamStreams.workspace(workspaceId), workspaceMembershipFold);
  }

  apiKey(apiKeyId: string): Promise<ApiKeyGrant> {
    return this.fold(TeamStreams.apiKey(apiKeyId), apiKeyGrantFold);
  }

  private async fold<S>(streamId: string, fold: Fold<S, TeamEvent>): Promise<S> {
    return (await loadStream(this.store, teamEventRegistry, streamId, fold)).state;
  }
}
