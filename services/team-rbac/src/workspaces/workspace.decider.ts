import type { Decider } from '@steward/commands';
import type { Role, TeamEvent, WorkspaceStatus } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import {
  evolveOrganization,
  initialOrganizationState,
  isOrganizationOwner,
  ownersWithout,
  type OrganizationState,
} from '../organizations/organization.decider';

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

/** The workspace's stream folded (the events of other aggregates leave it as it is). */
export function evolveWorkspace(state: WorkspaceState, event: TeamEvent): WorkspaceState {
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
    default:
      return state;
  }
}

export function memberByEmail(state: WorkspaceState, email: string): Member | undefined {
  if (!state.exists) return undefined;
  const wanted = email.toLowerCase();
  return Object.values(state.members).find((member) => member.email === wanted);
}


export type WorkspaceCommand =
  | TeamCommand<'RenameWorkspace'>
  | TeamCommand<'ChangeWorkspaceStatus'>
  | TeamCommand<'UpdateWorkspace'>
  | TeamCommand<'ChangeMemberRole'>
  | TeamCommand<'RemoveMember'>;

export interface WorkspaceDecisionState {
  readonly workspace: WorkspaceState;
  /** The workspace's organization: owner seats live there. */
  readonly organization: OrganizationState;
}

/** provisioning → active ⇄ suspended; any settled status may need attention and come back from it. */
export const WORKSPACE_TRANSITIONS: Readonly<Record<WorkspaceStatus, readonly WorkspaceStatus[]>> = {
  provisioning: ['active', 'attention'],
  active: ['suspended', 'attention'],
  suspended: ['active', 'attention'],
  attention: ['active', 'suspended'],
};

/**
 * Workspace settings and membership. A change that touches the owner role
 * (making, demoting or removing an owner) also changes the organization's
 * owner seats, so it is decided on both states and appended to both streams
 * at once: an organization always keeps at least one owner, and only an owner
 * makes or removes an owner.
 */
function decide(command: WorkspaceCommand, state: WorkspaceDecisionState): TeamEvent[] {
  const { workspace, organization } = state;
  if (!workspace.exists) throw new TeamError(TeamErrorCode.NotFound, `no workspace ${command.payload.workspaceId}`);
  const scope = { organizationId: workspace.organizationId, workspaceId: workspace.workspaceId };
  switch (command.type) {
    case 'RenameWorkspace':
      return renamed(workspace, scope, command.payload.name);
    case 'ChangeWorkspaceStatus':
      return statusChanged(workspace, scope, command.payload.status, command.payload.reason);
    case 'UpdateWorkspace': {
      // a rename then a status change on the same state: the status rules do not read the name, so
      // either order decides alike, and a refused status refuses the rename with it
      const { name, status, reason } = command.payload;
      return [
        ...(name !== undefined ? renamed(workspace, scope, name) : []),
        ...(status !== undefined ? statusChanged(workspace, scope, status, reason) : []),
      ];
    }
    case 'ChangeMemberRole': {
      const { userId, role, expectedRole } = command.payload;
      const member = workspace.members[userId];
      if (!member) throw new TeamError(TeamErrorCode.NotFound, `${userId} is not a member of ${workspace.workspaceId}`);
      if (expectedRole && member.role !== expectedRole) {
        throw new TeamError(TeamErrorCode.Conflict, `${userId} is ${member.role} now, not ${expectedRole}`);
      }
      if (member.role === role) return [];
      const ownerEvents = ownerSeatChange(organization, scope, userId, member.role, role, command.actor.id);
      return [
        { type: 'MemberRoleChanged', data: { ...scope, userId, from: member.role, to: role, changedBy: command.actor.id } },
        ...ownerEvents,
      ];
    }
    case 'RemoveMember': {
      const { userId } = command.payload;
      const member = workspace.members[userId];
      if (!member) throw new TeamError(TeamErrorCode.NotFound, `${userId} is not a member of ${workspace.workspaceId}`);
      const ownerEvents = ownerSeatChange(organization, scope, userId, member.role, undefined, command.actor.id);
      return [{ type: 'MemberRemoved', data: { ...scope, userId, role: member.role, removedBy: command.actor.id } }, ...ownerEvents];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

type ExistingWorkspace = Extract<WorkspaceState, { exists: true }>;
type WorkspaceScopeIds = { organizationId: string; workspaceId: string };

function renamed(workspace: ExistingWorkspace, scope: WorkspaceScopeIds, name: string): TeamEvent[] {
  if (name === workspace.name) return [];
  return [{ type: 'WorkspaceRenamed', data: { ...scope, name, previousName: workspace.name } }];
}

function statusChanged(workspace: ExistingWorkspace, scope: WorkspaceScopeIds, status: WorkspaceStatus, reason: string | undefined): TeamEvent[] {
  if (status === workspace.status) return [];
  if (!WORKSPACE_TRANSITIONS[workspace.status].includes(status)) {
    throw new TeamError(TeamErrorCode.InvalidStatusTransition, `a workspace cannot go from ${workspace.status} to ${status}`);
  }
  return [{ type: 'WorkspaceStatusChanged', data: { ...scope, from: workspace.status, to: status, ...(reason ? { reason } : {}) } }];
}

/**
 * The organization events of a member moving from role `from` to `to`
 * (`undefined`: leaving the workspace), with the owner rules checked.
 */
function ownerSeatChange(
  organization: OrganizationState,
  scope: { organizationId: string; workspaceId: string },
  userId: string,
  from: Role | undefined,
  to: Role | undefined,
  actorId: string,
): TeamEvent[] {
  const wasOwner = from === 'owner';
  const isOwner = to === 'owner';
  if (wasOwner === isOwner) return [];
  if (!isOrganizationOwner(organization, actorId)) {
    throw new TeamError(TeamErrorCode.NotOwner, 'only an owner makes or removes an owner');
  }
  if (isOwner) return [{ type: 'OrganizationOwnerAdded', data: { ...scope, userId } }];
  if (ownersWithout(organization, { workspaceId: scope.workspaceId, userId }).length === 0) {
    throw new TeamError(TeamErrorCode.LastOwner, `${userId} is the organization's last owner`);
  }
  return [{ type: 'OrganizationOwnerRemoved', data: { ...scope, userId } }];
}

/** Workspaces: decided on the workspace's stream and its organization's (owner seats). */
export const workspaceDecider: Decider<WorkspaceCommand, WorkspaceDecisionState, TeamEvent> = {
  decide,
  evolve: (state, event) => ({
    workspace: evolveWorkspace(state.workspace, event),
    organization: evolveOrganization(state.organization, event),
  }),
  initialState: { workspace: initialWorkspaceState, organization: initialOrganizationState },
};
