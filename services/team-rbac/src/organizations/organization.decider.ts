import type { TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import type { WorkspaceState } from '../workspaces/workspace.state';
import { isOrganizationOwner, type OrganizationState } from './organization.state';

export type OrganizationCommand = TeamCommand<'CreateOrganization'> | TeamCommand<'CreateWorkspace'>;

export interface OrganizationDecisionState {
  readonly organization: OrganizationState;
  /** The workspace the command creates (absent unless the id is taken). */
  readonly workspace: WorkspaceState;
}

/**
 * Creating an organization creates its first workspace, active at once (there
 * is nothing to provision yet), with the creator as its owner member. Creating
 * a further workspace takes an organization owner, who becomes its owner too.
 */
export function decideOrganization(command: OrganizationCommand, state: OrganizationDecisionState): TeamEvent[] {
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
