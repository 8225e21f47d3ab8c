import { organizationFor } from './steward.authenticator';

describe('organizationFor: the organization a user acts in', () => {
  const single = { userId: 'u', workspaces: [{ workspaceId: 'w1', organizationId: 'o1', role: 'member' as const }], organizations: [] };
  const several = {
    userId: 'u',
    workspaces: [
      { workspaceId: 'w1', organizationId: 'o1', role: 'member' as const },
      { workspaceId: 'w2', organizationId: 'o2', role: 'admin' as const },
    ],
    organizations: [{ organizationId: 'o3', role: 'owner' as const }],
  };

  it('is the only one, whatever the path', () => {
    expect(organizationFor(single, '/v1/organizations/o9')).toBe('o1');
    expect(organizationFor({ userId: 'u', workspaces: [], organizations: [] }, '/v1/me')).toBeUndefined();
  });

  it('for someone in several: the one the path names, directly or through a workspace, else the first by id', () => {
    expect(organizationFor(several, '/v1/organizations/o2/workspaces')).toBe('o2');
    expect(organizationFor(several, '/v1/organizations/o3')).toBe('o3');
    expect(organizationFor(several, '/v1/workspaces/w2/members')).toBe('o2');
    expect(organizationFor(several, '/v1/organizations/o9')).toBe('o1');
    expect(organizationFor(several, '/v1/workspaces/unknown')).toBe('o1');
    expect(organizationFor(several, '/v1/me')).toBe('o1');
    expect(organizationFor(several, '/v1/organizations/%E0%A4%A')).toBe('o1');
  });
});
