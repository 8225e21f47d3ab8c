import type { Decider } from '@steward/commands';
import { INVITATION_TTL_DAYS, type Role, type TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { evolveOrganization, initialOrganizationState, isOrganizationOwner, type OrganizationState } from '../organizations/organization.decider';
import { evolveWorkspace, initialWorkspaceState, memberByEmail, type WorkspaceState } from '../workspaces/workspace.decider';
import { userProfileDecider, type UserProfileState } from '../profiles/user-profile.decider';

export type InvitationState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly invitationId: string;
      readonly organizationId: string;
      readonly workspaceId: string;
      readonly email: string;
      readonly role: Role;
      readonly tokenHash: string;
      readonly expiresAt: string;
      readonly status: 'pending' | 'accepted' | 'revoked';
    };

export const initialInvitationState: InvitationState = { exists: false };

/** The invitation's stream folded (the events of other aggregates leave it as it is). */
export function evolveInvitation(state: InvitationState, event: TeamEvent): InvitationState {
  switch (event.type) {
    case 'MemberInvited': {
      const { invitationId, organizationId, workspaceId, email, role, tokenHash, expiresAt } = event.data;
      return { exists: true, invitationId, organizationId, workspaceId, email, role, tokenHash, expiresAt, status: 'pending' };
    }
    case 'InvitationAccepted':
      return state.exists ? { ...state, status: 'accepted' } : state;
    case 'InvitationRevoked':
      return state.exists ? { ...state, status: 'revoked' } : state;
    default:
      return state;
  }
}


export type InvitationCommand = TeamCommand<'InviteMember'> | TeamCommand<'AcceptInvitation'> | TeamCommand<'RevokeInvitation'>;

export interface InvitationDecisionState {
  readonly invitation: InvitationState;
  /** The workspace invited to. */
  readonly workspace: WorkspaceState;
  readonly organization: OrganizationState;
  /** The joining person's profile (loaded when a new person accepts, `newUser`): their name starts it. */
  readonly user: UserProfileState;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Invitations are single use, revocable, and expire INVITATION_TTL_DAYS after
 * they are made. Accepting appends to the invitation and to the workspace at
 * once, so the same person cannot join twice.
 */
function decide(command: InvitationCommand, state: InvitationDecisionState): TeamEvent[] {
  const { invitation, workspace, organization } = state;
  switch (command.type) {
    case 'InviteMember': {
      const { payload, actor, at } = command;
      if (!workspace.exists) throw new TeamError(TeamErrorCode.NotFound, `no workspace ${payload.workspaceId}`);
      if (invitation.exists) throw new TeamError(TeamErrorCode.InvitationExists, `invitation ${payload.invitationId} exists`);
      if (memberByEmail(workspace, payload.email)) {
        throw new TeamError(TeamErrorCode.MemberExists, `${payload.email} is already a member of ${workspace.workspaceId}`);
      }
      if (payload.role === 'owner' && !isOrganizationOwner(organization, actor.id)) {
        throw new TeamError(TeamErrorCode.NotOwner, 'only an owner makes or removes an owner');
      }
      const expiresAt = new Date(Date.parse(at) + INVITATION_TTL_DAYS * DAY_MS).toISOString();
      return [
        {
          type: 'MemberInvited',
          data: {
            organizationId: workspace.organizationId,
            workspaceId: workspace.workspaceId,
            invitationId: payload.invitationId,
            email: payload.email,
            role: payload.role,
            ...(payload.message !== undefined ? { message: payload.message } : {}),
            tokenHash: payload.tokenHash,
            invitedBy: actor.id,
            invitedAt: at,
            expiresAt,
          },
        },
      ];
    }
    case 'AcceptInvitation': {
      const { payload, at } = command;
      if (!invitation.exists) throw new TeamError(TeamErrorCode.NotFound, `no invitation ${payload.invitationId}`);
      // The token first: without it, nothing about the invitation is told.
      if (payload.tokenHash !== invitation.tokenHash) throw new TeamError(TeamErrorCode.InvalidToken, 'the invitation token does not match');
      if (command.actor.type === 'user' && command.actor.id !== payload.userId) {
        throw new TeamError(TeamErrorCode.Forbidden, 'a person accepts an invitation for themselves only');
      }
      if (invitation.status === 'accepted') throw new TeamError(TeamErrorCode.InvitationAccepted, 'the invitation was already accepted');
      if (invitation.status === 'revoked') throw new TeamError(TeamErrorCode.InvitationRevoked, 'the invitation was revoked');
      if (Date.parse(at) >= Date.parse(invitation.expiresAt)) {
        throw new TeamError(TeamErrorCode.InvitationExpired, `the invitation expired at ${invitation.expiresAt}`);
      }
      if (!workspace.exists) throw new TeamError(TeamErrorCode.NotFound, `no workspace ${invitation.workspaceId}`);
      if (workspace.members[payload.userId] || memberByEmail(workspace, invitation.email)) {
        throw new TeamError(TeamErrorCode.MemberExists, `${invitation.email} is already a member of ${workspace.workspaceId}`);
      }
      const scope = { organizationId: invitation.organizationId, workspaceId: invitation.workspaceId };
      const { invitationId, email, role } = invitation;
      const name = payload.newUser?.name;
      const profile = state.user;
      return [
        { type: 'InvitationAccepted', data: { ...scope, invitationId, userId: payload.userId, email, role, acceptedAt: at } },
        { type: 'MemberJoined', data: { ...scope, userId: payload.userId, email, role, via: 'invitation', invitationId, joinedAt: at } },
        // The owner who invited an owner made that owner: the seat is taken on acceptance.
        ...(role === 'owner' ? [{ type: 'OrganizationOwnerAdded' as const, data: { ...scope, userId: payload.userId } }] : []),
        // A new person's name starts their profile, in the same decision as their joining.
        ...(name !== undefined && profile.name !== name
          ? [{ type: 'UserProfileUpdated' as const, data: { userId: payload.userId, ...profile, name, updatedAt: at } }]
          : []),
      ];
    }
    case 'RevokeInvitation': {
      const { payload, actor, at } = command;
      if (!invitation.exists || invitation.workspaceId !== payload.workspaceId) {
        throw new TeamError(TeamErrorCode.NotFound, `no invitation ${payload.invitationId} in ${payload.workspaceId}`);
      }
      if (invitation.status === 'accepted') throw new TeamError(TeamErrorCode.InvitationAccepted, 'the invitation was already accepted');
      if (invitation.status === 'revoked') throw new TeamError(TeamErrorCode.InvitationRevoked, 'the invitation was already revoked');
      if (invitation.role === 'owner' && !isOrganizationOwner(organization, actor.id)) {
        throw new TeamError(TeamErrorCode.NotOwner, 'only an owner makes or removes an owner');
      }
      const scope = { organizationId: invitation.organizationId, workspaceId: invitation.workspaceId };
      return [{ type: 'InvitationRevoked', data: { ...scope, invitationId: invitation.invitationId, revokedBy: actor.id, revokedAt: at } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** Invitations: decided on the invitation's stream, its workspace's and its organization's. */
export const invitationDecider: Decider<InvitationCommand, InvitationDecisionState, TeamEvent> = {
  decide,
  evolve: (state, event) => ({
    invitation: evolveInvitation(state.invitation, event),
    workspace: evolveWorkspace(state.workspace, event),
    organization: evolveOrganization(state.organization, event),
    user: userProfileDecider.evolve(state.user, event),
  }),
  initialState: { invitation: initialInvitationState, workspace: initialWorkspaceState, organization: initialOrganizationState, user: userProfileDecider.initialState },
};
