import { CreateOrganizationPayload, InviteMemberPayload, TEAM_COMMAND_TYPES, TeamCommandPayloads, UpdateWorkspacePayload } from './team-commands';
import { ApiKeyIssued, TEAM_EVENTS, teamEventRegistry } from './team-events';
import { isTimeZone } from './team-fields';
import { TeamStreams } from './team-streams';

describe('team contracts', () => {
  it('registers every team event once, at version 1, in the team context', () => {
    const listed = teamEventRegistry.list();
    expect(listed).toHaveLength(TEAM_EVENTS.length);
    expect(listed.every((entry) => entry.context === 'team' && entry.version === 1)).toBe(true);
    expect(listed.map((entry) => entry.type)).toEqual(
      expect.arrayContaining(['OrganizationCreated', 'MemberInvited', 'InvitationAccepted', 'MemberRoleChanged', 'ApiKeyRevoked', 'UserProfileUpdated']),
    );
  });

  it('names streams so that their category is the team context', () => {
    const streams = [TeamStreams.organization('o'), TeamStreams.workspace('w'), TeamStreams.invitation('i'), TeamStreams.apiKey('k'), TeamStreams.user('u')];
    expect(streams).toEqual(['team-organization-o', 'team-workspace-w', 'team-invitation-i', 'team-apikey-k', 'team-user-u']);
  });

  it('keeps secrets out of ApiKeyIssued: only a SHA-256 hash, no extra fields', () => {
    const data = {
      organizationId: 'o',
      workspaceId: 'w',
      apiKeyId: 'k',
      name: 'CI',
      scopes: ['read'],
      prefix: 'stw_ab12cd34',
      keyHash: 'f'.repeat(64),
      issuedBy: 'u',
      issuedAt: '2026-11-21T10:00:00Z',
    };
    expect(ApiKeyIssued.schema.safeParse(data).success).toBe(true);
    expect(ApiKeyIssued.schema.safeParse({ ...data, secret: 'stw_ab12cd34_xyz' }).success).toBe(false);
    expect(ApiKeyIssued.schema.safeParse({ ...data, keyHash: 'stw_ab12cd34_xyz' }).success).toBe(false);
  });

  it('validates command payloads strictly and lower-cases emails', () => {
    expect(TEAM_COMMAND_TYPES).toHaveLength(Object.keys(TeamCommandPayloads).length);
    const invite = { workspaceId: 'w', invitationId: 'i', email: 'Ada@Example.COM', role: 'member', tokenHash: 'a'.repeat(64) };
    expect(InviteMemberPayload.parse(invite).email).toBe('ada@example.com');
    expect(InviteMemberPayload.safeParse({ ...invite, role: 'superuser' }).success).toBe(false);
    expect(InviteMemberPayload.safeParse({ ...invite, extra: 1 }).success).toBe(false);
    expect(CreateOrganizationPayload.safeParse({ organizationId: 'o', name: '', workspaceId: 'w', workspaceName: 'W', owner: { userId: 'u', email: 'a@b.co' } }).success).toBe(false);
  });

  it('takes a workspace update with a name, a status or both, and a reason only with a status', () => {
    expect(UpdateWorkspacePayload.safeParse({ workspaceId: 'w', name: 'Lab', status: 'suspended', reason: 'budget' }).success).toBe(true);
    expect(UpdateWorkspacePayload.safeParse({ workspaceId: 'w', name: 'Lab' }).success).toBe(true);
    expect(UpdateWorkspacePayload.safeParse({ workspaceId: 'w' }).success).toBe(false);
    const reasonAlone = UpdateWorkspacePayload.safeParse({ workspaceId: 'w', name: 'Lab', reason: 'budget' });
    expect(reasonAlone.success ? [] : reasonAlone.error.issues.map((issue) => issue.path.join('.'))).toEqual(['reason']);
  });

  it('knows IANA time zones', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
