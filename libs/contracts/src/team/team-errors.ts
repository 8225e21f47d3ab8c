import type { CommandErrorBody } from '../command';

/**
 * What the team-rbac service answers when it refuses a command: the `code` of
 * the error object a handler sends (`{ code, message }`). The gateway maps each
 * code to an HTTP status in one place.
 */
export enum TeamErrorCode {
  /** The payload does not match the command's schema (400). */
  InvalidCommand = 'INVALID_COMMAND',
  /** The actor's role does not allow the action (403). */
  Forbidden = 'FORBIDDEN',
  /** Only an owner makes or removes an owner (403). */
  NotOwner = 'NOT_OWNER',
  /** The change would leave the organization without an owner (409). */
  LastOwner = 'LAST_OWNER',
  /** The organization, workspace, member, invitation or key does not exist in this tenant (404). */
  NotFound = 'NOT_FOUND',
  OrganizationExists = 'ORGANIZATION_EXISTS',
  WorkspaceExists = 'WORKSPACE_EXISTS',
  /** The workspace status cannot move from its current status to the requested one (409). */
  InvalidStatusTransition = 'INVALID_STATUS_TRANSITION',
  /** The email or user is already a member of the workspace (409). */
  MemberExists = 'MEMBER_EXISTS',
  InvitationExists = 'INVITATION_EXISTS',
  InvitationExpired = 'INVITATION_EXPIRED',
  InvitationAccepted = 'INVITATION_ACCEPTED',
  InvitationRevoked = 'INVITATION_REVOKED',
  /** The acceptance token does not match the invitation (403). */
  InvalidToken = 'INVALID_TOKEN',
  ApiKeyExists = 'API_KEY_EXISTS',
  ApiKeyRevoked = 'API_KEY_REVOKED',
  /** An announcement with this id exists already (409). */
  AnnouncementExists = 'ANNOUNCEMENT_EXISTS',
  /** Another change landed first and this command cannot be safely decided again (409). */
  Conflict = 'CONFLICT',
  /** The event store could not be reached; the command may be resent with the same id (503). */
  Unavailable = 'UNAVAILABLE',
}

/** The error object a team handler answers with (inside the RpcException). */
export type TeamErrorBody = CommandErrorBody<TeamErrorCode>;

/**
 * The HTTP status each refusal means at the gateway (its problem documents
 * map codes in one place: this one).
 */
export const TEAM_ERROR_HTTP_STATUS: Readonly<Record<TeamErrorCode, number>> = {
  [TeamErrorCode.InvalidCommand]: 400,
  [TeamErrorCode.Forbidden]: 403,
  [TeamErrorCode.NotOwner]: 403,
  [TeamErrorCode.InvalidToken]: 403,
  [TeamErrorCode.NotFound]: 404,
  [TeamErrorCode.LastOwner]: 409,
  [TeamErrorCode.OrganizationExists]: 409,
  [TeamErrorCode.WorkspaceExists]: 409,
  [TeamErrorCode.InvalidStatusTransition]: 409,
  [TeamErrorCode.MemberExists]: 409,
  [TeamErrorCode.InvitationExists]: 409,
  [TeamErrorCode.InvitationAccepted]: 409,
  [TeamErrorCode.InvitationRevoked]: 409,
  [TeamErrorCode.ApiKeyExists]: 409,
  [TeamErrorCode.ApiKeyRevoked]: 409,
  [TeamErrorCode.AnnouncementExists]: 409,
  [TeamErrorCode.Conflict]: 409,
  [TeamErrorCode.InvitationExpired]: 410,
  [TeamErrorCode.Unavailable]: 503,
};
