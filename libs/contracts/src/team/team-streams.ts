/**
 * The team context's event streams. Every name starts with `team-`, so the
 * relay derives the bounded context ('team') from the stream category.
 */
export const TeamStreams = {
  organization: (organizationId: string): string => `team-organization-${organizationId}`,
  workspace: (workspaceId: string): string => `team-workspace-${workspaceId}`,
  invitation: (invitationId: string): string => `team-invitation-${invitationId}`,
  apiKey: (apiKeyId: string): string => `team-apikey-${apiKeyId}`,
  user: (userId: string): string => `team-user-${userId}`,
  announcement: (announcementId: string): string => `team-announcement-${announcementId}`,
  /** One stream: who was made a platform administrator (PlatformAdminGranted). */
  platformAdmins: (): string => 'team-platform-admins',
} as const;

/** Every team stream starts with this: a filter for projections. */
export const TEAM_STREAM_PREFIX = 'team-';
