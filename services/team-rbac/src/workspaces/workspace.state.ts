import type { Role, TeamEventOf, WorkspaceStatus } from '@steward/contracts';
import type { Aggregate } from '../shared/command';

export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
}

export type WorkspaceState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly workspaceId: string;
      readonly organizationId: string;
      readonly name: string;
      readonly status: WorkspaceStatus;
      /** By user id. */
      readonly members: Readonly<Record<string, Member>>;
    };

export const initialWorkspaceState: WorkspaceState = { exists: false };

export type WorkspaceEvent = TeamEventOf<
  'WorkspaceCreated' | 'WorkspaceRenamed' | 'WorkspaceStatusChanged' | 'MemberJoined' | 'MemberRoleChanged' | 'MemberRemoved'
>;

export const WORKSPACE_EVENT_TYPES: ReadonlySet<string> = new Set<WorkspaceEvent['type']>([
  'WorkspaceCreated',
  'WorkspaceRenamed',
  'WorkspaceStatusChanged',
  'MemberJoined',
  'MemberRoleChanged',
  'MemberRemoved',
]);

export function evolveWorkspace(state: WorkspaceState, event: WorkspaceEvent): WorkspaceState {
  if (event.type === 'WorkspaceCreated') {
    return {
      exists: true,
      workspaceId: event.data.workspaceId,
      organizationId: event.data.organizationId,
      name: event.data.name,
      status: event.data.status,
      members: {},
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'WorkspaceRenamed':
      return { ...state, name: event.data.name };
    case 'WorkspaceStatusChanged':
      return { ...state, status: event.data.to };
    case 'MemberJoined': {
      const { userId, email, role } = event.data;
      return { ...state, members: { ...state.members, [userId]: { userId, email, role } } };
    }
    case 'MemberRoleChanged': {
      const member = state.members[event.data.userId];
      if (!member) return state;
      return { ...state, members: { ...state.members, [member.userId]: { ...member, role: event.data.to } } };
    }
    case 'MemberRemoved': {
      const { [event.data.userId]: _removed, ...members } = state.members;
      return { ...state, members };
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export function memberByEmail(state: WorkspaceState, email: string): Member | undefined {
  if (!state.exists) return undefined;
  const wanted = email.toLowerCase();
  return Object.values(state.members).find((member) => member.email === wanted);
}

export const workspaceAggregate: Aggregate<WorkspaceState, WorkspaceEvent> = {
  initial: initialWorkspaceState,
  types: WORKSPACE_EVENT_TYPES,
  evolve: evolveWorkspace,
};
