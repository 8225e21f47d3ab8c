import { TeamStreams, type TeamEvent } from '@steward/contracts';

/** The stream an event belongs to: the aggregate it changes. */
export function streamOf(event: TeamEvent): string {
  switch (event.type) {
    case 'OrganizationCreated':
    case 'OrganizationOwnerAdded':
    case 'OrganizationOwnerRemoved':
      return TeamStreams.organization(event.data.organizationId);
    case 'WorkspaceCreated':
    case 'WorkspaceRenamed':
    case 'WorkspaceStatusChanged':
    case 'MemberJoined':
    case 'MemberRoleChanged':
    case 'MemberRemoved':
      return TeamStreams.workspace(event.data.workspaceId);
    case 'MemberInvited':
    case 'InvitationAccepted':
    case 'InvitationRevoked':
      return TeamStreams.invitation(event.data.invitationId);
    case 'ApiKeyIssued':
    case 'ApiKeyRevoked':
      return TeamStreams.apiKey(event.data.apiKeyId);
    case 'UserProfileUpdated':
      return TeamStreams.user(event.data.userId);
    default: {
      const _exhaustive: never = event;
      throw new Error(`no stream for ${JSON.stringify(_exhaustive)}`);
    }
  }
}
