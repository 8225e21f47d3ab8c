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
