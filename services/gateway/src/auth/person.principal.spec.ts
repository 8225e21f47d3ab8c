import { personIn, personPrincipal } from './person.principal';
import { StewardAuthorizer, type StewardAuthorizerDeps } from './steward.authorizer';

describe('a person of several organizations', () => {
  const single = { userId: 'u', workspaces: [{ workspaceId: 'w1', organizationId: 'o1', role: 'member' as const }], organizations: [] };
  const several = {
    userId: 'u',
    workspaces: [
      { workspaceId: 'w1', organizationId: 'o1', role: 'member' as const },
      { workspaceId: 'w2', organizationId: 'o2', role: 'admin' as const },
    ],
    organizations: [{ organizationId: 'o3', role: 'owner' as const }],
  };
  /** Only memberships decide below: a read of the team read model would be a failure of the test. */
  const workspaces = {
    organizationOf: () => {
      throw new Error('no read-model lookup expected');
    },
  } as unknown as StewardAuthorizerDeps['workspaces'];
  const authorizer = new StewardAuthorizer({ workspaces });

  it('is built in their first organization by id, carrying all of them; a person of none has no organization', () => {
    const person = personPrincipal(several, 'u@example.test');
    expect(person).toMatchObject({ organizationId: 'o1', organizationIds: ['o1', 'o2', 'o3'], memberships: { w1: 'member' }, email: 'u@example.test' });
    expect(person.orgRole).toBeUndefined();
    expect(personPrincipal(single, undefined)).toMatchObject({ organizationId: 'o1', organizationIds: ['o1'] });
    const nobody = personPrincipal({ userId: 'n', workspaces: [], organizations: [] }, undefined);
    expect(nobody.organizationId).toBeUndefined();
    expect(nobody.memberships).toEqual({});
  });

  it('narrows to each of their organizations with the roles of that one only, and to no other', () => {
    const person = personPrincipal(several, undefined);
    expect(personIn(person, 'o2')).toMatchObject({ organizationId: 'o2', memberships: { w2: 'admin' } });
    expect(personIn(person, 'o2')?.orgRole).toBeUndefined();
    expect(personIn(person, 'o3')).toMatchObject({ organizationId: 'o3', memberships: {}, orgRole: 'owner' });
    expect(personIn(person, 'o9')).toBeUndefined();
    // one cached lookup, one principal object per organization
    expect(personIn(person, 'o2')).toBe(personIn(personIn(person, 'o3')!, 'o2'));
  });

  it('acts in the organization of the workspace the check names, and is walled off elsewhere', async () => {
    const person = personPrincipal(several, undefined);
    const inW2 = { permission: 'models.read', scope: 'workspace' as const, workspaceId: 'w2' };
    expect(await authorizer.actingPrincipal(person, inW2)).toMatchObject({ organizationId: 'o2' });
    expect(await authorizer.authorize(person, inW2)).toBe('allow');
    // a member of w1 (organization o1) may not read model settings there: 403, not a 404
    await expect(authorizer.authorize(person, { permission: 'models.read', scope: 'workspace', workspaceId: 'w1' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await authorizer.authorize(person, { permission: 'workspace.read', scope: 'organization', organizationId: 'o9' })).toBe('not-found');
  });

  it('for a check naming no tenant, acts in the first organization that allows the action', async () => {
    const person = personPrincipal(several, undefined);
    // models.read at the organization level (the price catalogue): o1 (a member) refuses, o2 (a workspace admin) allows
    expect(await authorizer.actingPrincipal(person, { permission: 'models.read', scope: 'none' })).toMatchObject({ organizationId: 'o2' });
    expect(await authorizer.authorize(person, { permission: 'models.read', scope: 'none' })).toBe('allow');
    // member.invite at the organization level: only the owner seat of o3 allows it
    expect(await authorizer.actingPrincipal(person, { permission: 'member.invite', scope: 'none' })).toMatchObject({ organizationId: 'o3' });
    expect(await authorizer.actingPrincipal(person, { permission: 'profile.read', scope: 'none' })).toMatchObject({ organizationId: 'o1' });
  });
});
