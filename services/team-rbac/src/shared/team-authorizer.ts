import { permissionMatrix, roleCan, type Action } from '@steward/auth';
import type { CommandEnvelope, Role, TeamCommandType } from '@steward/contracts';

/**
 * What a handler asks before deciding: may this actor, holding `role` in the
 * command's workspace (or `undefined`: none), run this command? The role is
 * the service's own view (its workspace and organization streams), not what
 * the caller claims.
 */
export interface AuthorizationRequest {
  readonly envelope: CommandEnvelope;
  readonly action: TeamCommandType;
  readonly role: Role | undefined;
}

export type TeamAuthorizer = (request: AuthorizationRequest) => boolean;

/**
 * The action of @steward/auth's matrix each command performs; `anyone` for
 * the commands every person may send, whose rules the deciders check (a
 * person creates an organization for themselves; the acceptance token is the
 * invitee's authority).
 */
export const TEAM_COMMAND_ACTIONS: Readonly<Record<TeamCommandType, Action | 'anyone'>> = {
  CreateOrganization: 'organization.create',
  CreateWorkspace: 'workspace.create',
  RenameWorkspace: 'workspace.update',
  ChangeWorkspaceStatus: 'workspace.update',
  UpdateWorkspace: 'workspace.update',
  InviteMember: 'member.invite',
  AcceptInvitation: 'anyone',
  RevokeInvitation: 'invitation.revoke',
  ChangeMemberRole: 'member.update_role',
  RemoveMember: 'member.remove',
  IssueApiKey: 'api_key.issue',
  RevokeApiKey: 'api_key.revoke',
  UpdateUserProfile: 'profile.update',
  // Platform administrators only: the announcement handler checks it (no organization role grants it).
  DraftAnnouncement: 'announcement.manage',
  ReviseAnnouncement: 'announcement.manage',
  PublishAnnouncement: 'announcement.manage',
  UnpublishAnnouncement: 'announcement.manage',
  MarkAnnouncementRead: 'announcement.read',
  // The system's (the bootstrap): no person's role allows it.
  GrantPlatformAdmin: 'announcement.manage',
};

const SELF_ACTIONS = new Set(permissionMatrix().filter((entry) => entry.self).map((entry) => entry.action));

/**
 * The check against THE permission matrix (@steward/auth), as the gateway
 * makes it, made again here from the service's own facts:
 * - the system (bootstrap, Steward's own reactors) may send any command;
 * - API keys and other services manage nothing of a team (no scope of the
 *   matrix grants a team action);
 * - a person may when their role in the workspace is allowed the action, or
 *   the action is about themselves only (their profile).
 */
export const matrixAuthorizer: TeamAuthorizer = ({ envelope, action, role }) => {
  if (envelope.actor.type === 'system') return true;
  if (envelope.actor.type !== 'user') return false;
  const matrixAction = TEAM_COMMAND_ACTIONS[action];
  if (matrixAction === 'anyone' || SELF_ACTIONS.has(matrixAction)) return true;
  return role !== undefined && roleCan(role, matrixAction);
};
