import { loadStream, type Fold } from '@steward/commands';
import { TeamStreams, teamEventRegistry, type TeamEvent } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';

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
    case 'AnnouncementRead':
      return TeamStreams.user(event.data.userId);
    case 'AnnouncementDrafted':
    case 'AnnouncementRevised':
    case 'AnnouncementPublished':
    case 'AnnouncementUnpublished':
      return TeamStreams.announcement(event.data.announcementId);
    case 'PlatformAdminGranted':
      return TeamStreams.platformAdmins();
    default: {
      const _exhaustive: never = event;
      throw new Error(`no stream for ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/** A team stream folded by a decider (or any fold) as it stands now: what other contexts' authorizers decide on. */
export async function teamStateOf<S>(store: EventStore, streamId: string, fold: Fold<S, TeamEvent>): Promise<S> {
  return (await loadStream(store, teamEventRegistry, streamId, fold)).state;
}
