import { AuthError, AuthErrorCode } from './auth.error';
import { assertCan, can, permissionMatrix, workspacesAllowed } from './permissions';
import { organizationRole, roleIn, type ApiKeyPrincipal, type UserPrincipal } from './principal';

const base = { kind: 'user', userId: 'u', organizationId: 'o' } as const;

describe('roleIn', () => {
  it('is the membership role of the workspace, undefined elsewhere', () => {
    const p: UserPrincipal = { ...base, memberships: { a: 'member', b: 'viewer' } };
    expect(roleIn(p, 'a')).toBe('member');
    expect(roleIn(p, 'b')).toBe('viewer');
    expect(roleIn(p, 'c')).toBeUndefined();
  });

  it('is the organization-wide role in every workspace, whatever the membership says', () => {
    const p: UserPrincipal = { ...base, memberships: { a: 'viewer' }, orgRole: 'owner' };
    expect(roleIn(p, 'a')).toBe('owner');
    expect(roleIn(p, 'anything')).toBe('owner');
    expect(roleIn({ ...base, memberships: { a: 'admin' }, orgRole: 'billing' }, 'a')).toBe('billing');
  });

  it('does not read inherited properties as workspaces', () => {
    const p: UserPrincipal = { ...base, memberships: {} };
    expect(roleIn(p, 'toString')).toBeUndefined();
    expect(roleIn(p, '__proto__')).toBeUndefined();
  });

  it('is undefined for API keys (they act through scopes)', () => {
    const k: ApiKeyPrincipal = { kind: 'api_key', keyId: 'k', organizationId: 'o', workspaceId: 'a', scopes: ['read'] };
    expect(roleIn(k, 'a')).toBeUndefined();
  });
});

describe('organizationRole', () => {
  it('is the organization-wide role, else viewer for a member of any workspace, else none', () => {
    expect(organizationRole({ ...base, memberships: { a: 'admin' }, orgRole: 'billing' })).toBe('billing');
    expect(organizationRole({ ...base, memberships: { a: 'admin' } })).toBe('viewer');
    expect(organizationRole({ ...base, memberships: {} })).toBeUndefined();
    expect(organizationRole({ kind: 'api_key', keyId: 'k', organizationId: 'o', workspaceId: 'a', scopes: [] })).toBeUndefined();
  });
});

describe('a person who belongs to no organization', () => {
  const nobody: UserPrincipal = { kind: 'user', userId: 'u', memberships: {} };

  it('may read and update their profile and found an organization', () => {
    expect(can(nobody, 'profile.read')).toBe(true);
    expect(can(nobody, 'profile.update')).toBe(true);
    expect(can(nobody, 'organization.create')).toBe(true);
  });

  it('finds every organization and workspace out of scope (404, not 403)', () => {
    for (const target of [{ organizationId: 'o' }, { workspaceId: 'w' }, { organizationId: 'o', workspaceId: 'w' }, {}]) {
      const error = (() => {
        try {
          assertCan(nobody, 'organization.read', target);
        } catch (caught) {
          return caught as AuthError;
        }
        return undefined;
      })();
      expect(error?.code).toBe(AuthErrorCode.OutOfScope);
    }
    expect(can(nobody, 'profile.read', { organizationId: 'o' })).toBe(false);
    expect(organizationRole(nobody)).toBeUndefined();
    expect(workspacesAllowed(nobody, 'activity.read')).toEqual([]);
  });
});

describe('per-workspace organization actions (the activity log)', () => {
  it('let an admin of some workspaces read and export, limited to those workspaces', () => {
    const admin: UserPrincipal = { ...base, memberships: { a: 'admin', b: 'member', c: 'billing' } };
    expect(can(admin, 'activity.read', { organizationId: 'o' })).toBe(true);
    expect(can(admin, 'activity.export', { organizationId: 'o' })).toBe(true);
    expect(workspacesAllowed(admin, 'activity.read')).toEqual(['a', 'c']);
    expect(workspacesAllowed(admin, 'activity.export')).toEqual(['a']);
    expect(can(admin, 'activity.read', { organizationId: 'other' })).toBe(false);
  });

  it('refuse (403) a person whose workspace roles allow it nowhere, and never grant other organization actions', () => {
    const member: UserPrincipal = { ...base, memberships: { a: 'member', b: 'viewer' } };
    expect(can(member, 'activity.read')).toBe(false);
    expect(() => assertCan(member, 'activity.read', { organizationId: 'o' })).toThrow(expect.objectContaining({ code: AuthErrorCode.Forbidden }));
    const admin: UserPrincipal = { ...base, memberships: { a: 'admin' } };
    expect(can(admin, 'workspace.create', { organizationId: 'o' })).toBe(false);
    expect(can(admin, 'organization.update', { organizationId: 'o' })).toBe(false);
  });

  it('give the owner everything, organization-level entries included ("all")', () => {
    const owner: UserPrincipal = { ...base, memberships: {}, orgRole: 'owner' };
    expect(workspacesAllowed(owner, 'activity.export')).toBe('all');
    expect(can(owner, 'activity.export', { organizationId: 'o' })).toBe(true);
  });

  it('give billing to a billing member of any workspace (write) and let an admin of one read it only', () => {
    const biller: UserPrincipal = { ...base, memberships: { a: 'member', c: 'billing' } };
    expect(can(biller, 'billing.read', { organizationId: 'o' })).toBe(true);
    expect(can(biller, 'billing.write', { organizationId: 'o' })).toBe(true);
    expect(can(biller, 'billing.write', { organizationId: 'other' })).toBe(false);
    const admin: UserPrincipal = { ...base, memberships: { a: 'admin' } };
    expect(can(admin, 'billing.read', { organizationId: 'o' })).toBe(true);
    expect(() => assertCan(admin, 'billing.write', { organizationId: 'o' })).toThrow(expect.objectContaining({ code: AuthErrorCode.Forbidden }));
    const member: UserPrincipal = { ...base, memberships: { a: 'member', b: 'viewer' } };
    expect(can(member, 'billing.read', { organizationId: 'o' })).toBe(false);
  });

  it('are marked in the matrix', () => {
    expect(permissionMatrix().filter((entry) => entry.perWorkspace).map((entry) => entry.action)).toEqual([
      'activity.read',
      'activity.export',
      'usage.write',
      'models.read',
      'billing.read',
      'billing.write',
      'notifications.read',
      'notifications.write',
    ]);
  });
});
