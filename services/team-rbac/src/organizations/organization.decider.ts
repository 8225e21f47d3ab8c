import type { Decider } from '@steward/commands';
import type { TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';

/** One owner seat: `userId` holds the owner role in `workspaceId`. */
export interface OwnerSeat {
  readonly workspaceId: string;
  readonly userId: string;
}

export type OrganizationState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly organizationId: string;
      readonly name: string;
      readonly ownerUserId: string;
      readonly owners: readonly OwnerSeat[];
    };

export const initialOrganizationState: OrganizationState = { exists: false };

/** The organization's stream folded (the events of other aggregates leave it as it is). */
export function evolveOrganization(state: OrganizationState, event: TeamEvent): OrganizationState {
  switch (event.type) {
    case 'OrganizationCreated':
      return {
        exists: true,
        organizationId: event.data.organizationId,
        name: event.data.name,
        ownerUserId: event.data.ownerUserId,
        owners: [{ workspaceId: event.data.firstWorkspaceId, userId: event.data.ownerUserId }],
      };
    case 'OrganizationOwnerAdded': {
      if (!state.exists) return state;
      const { workspaceId, userId } = event.data;
      if (state.owners.some((seat) => seat.workspaceId === workspaceId && seat.userId === userId)) return state;
      return { ...state, owners: [...state.owners, { workspaceId, userId }] };
    }
    case 'OrganizationOwnerRemoved': {
      if (!state.exists) return state;
      const { workspaceId, userId } = event.data;
      return { ...state, owners: state.owners.filter((seat) => !(seat.workspaceId === workspaceId && seat.userId === userId)) };
    }
    default:
      return state;
  }
}

/** An organization owner: holds the owner role in at least one of its workspaces. */
export function isOrganizationOwner(state: OrganizationState, userId: string): boolean {
  return state.exists && state.owners.some((seat) => seat.userId === userId);
}

/** The owners left once `seat` is given up. */
export function ownersWithout(state: OrganizationState, seat: OwnerSeat): string[] {
  if (!state.exists) return [];
  const left = state.owners.filter((s) => !(s.workspaceId === seat.workspaceId && s.userId === seat.userId));
  return [...new Set(left.map((s) => s.userId))];
}


export type OrganizationCommand = TeamCommand<'CreateOrganization'> | TeamCommand<'CreateWorkspace'>;

export interface OrganizationDecisionState {
  readonly organization: OrganizationState;
  /** The workspace the command creates: only whether its id is taken counts. */
  readonly workspace: { readonly exists: boolean };
}

/**
 * Creating an organization creates its first workspace, active at once (there
 * is nothing to provision yet), with the creator as its owner member. Creating
 * a further workspace takes an organization owner, who becomes its owner too.
 */
function decide(command: OrganizationCommand, state: OrganizationDecisionState): TeamEvent[] {
  const { organization, workspace } = state;
  switch (command.type) {
    case 'CreateOrganization': {
      const { payload, actor, at } = command;
      if (organization.exists) throw new TeamError(TeamErrorCode.OrganizationExists, `organization ${payload.organizationId} exists`);
      if (workspace.exists) throw new TeamError(TeamErrorCode.WorkspaceExists, `workspace ${payload.workspaceId} exists`);
      if (actor.type !== 'system' && !(actor.type === 'user' && actor.id === payload.owner.userId)) {
        throw new TeamError(TeamErrorCode.Forbidden, 'a user creates an organization for itself only');
      }
      const scope = { organizationId: payload.organizationId, workspaceId: payload.workspaceId };
      return [
        {
          type: 'OrganizationCreated',
          data: {
            organizationId: payload.organizationId,
            name: payload.name,
            ownerUserId: payload.owner.userId,
            ownerEmail: payload.owner.email,
            firstWorkspaceId: payload.workspaceId,
            createdAt: at,
          },
        },
        ...newWorkspace(scope, payload.workspaceName, payload.owner.userId, payload.owner.email, at),
      ];
    }
    case 'CreateWorkspace': {
      const { payload, actor, at } = command;
      if (!organization.exists) throw new TeamError(TeamErrorCode.NotFound, `no organization ${payload.organizationId}`);
      if (workspace.exists) throw new TeamError(TeamErrorCode.WorkspaceExists, `workspace ${payload.workspaceId} exists`);
      if (!isOrganizationOwner(organization, actor.id)) {
        throw new TeamError(TeamErrorCode.NotOwner, 'only an organization owner creates workspaces');
      }
      const scope = { organizationId: payload.organizationId, workspaceId: payload.workspaceId };
      return [
        ...newWorkspace(scope, payload.name, actor.id, payload.ownerEmail, at),
        { type: 'OrganizationOwnerAdded', data: { ...scope, userId: actor.id } },
      ];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

function newWorkspace(
  scope: { organizationId: string; workspaceId: string },
  name: string,
  ownerUserId: string,
  ownerEmail: string,
  at: string,
): TeamEvent[] {
  return [
    { type: 'WorkspaceCreated', data: { ...scope, name, status: 'provisioning', createdBy: ownerUserId, createdAt: at } },
    { type: 'WorkspaceStatusChanged', data: { ...scope, from: 'provisioning', to: 'active', reason: 'created' } },
    { type: 'MemberJoined', data: { ...scope, userId: ownerUserId, email: ownerEmail, role: 'owner', via: 'creation', joinedAt: at } },
  ];
}

/**
 * Organizations: decided on the organization's stream and on the stream of
 * the workspace the command creates.
 */
export const organizationDecider: Decider<OrganizationCommand, OrganizationDecisionState, TeamEvent> = {
  decide,
  evolve: (state, event) => ({
    organization: evolveOrganization(state.organization, event),
    workspace: event.type === 'WorkspaceCreated' ? { exists: true } : state.workspace,
  }),
  initialState: { organization: initialOrganizationState, workspace: { exists: false } },
};
