import type { Role } from '@steward/contracts';
import { ADMIN_ONLY_DETAIL, AuthError, AuthErrorCode } from './auth.error';
import {
  ACTIONS,
  ALL_ROLES,
  API_KEY_SCOPES,
  ActionSchema,
  ApiKeyScopeEnum,
  actionsForScopes,
  allowedRoles,
  assertCan,
  can,
  canManageOwner,
  permissionMatrix,
  roleCan,
  workspacesAllowed,
  type Action,
} from './permissions';
import type { ApiKeyPrincipal, UserPrincipal } from './principal';

const ORG = 'org-1';
const WS = 'ws-1';

function user(role: Role, workspaceId = WS): UserPrincipal {
  return { kind: 'user', userId: `u-${role}`, organizationId: ORG, memberships: { [workspaceId]: role } };
}
function orgUser(role: Role): UserPrincipal {
  return { kind: 'user', userId: `o-${role}`, organizationId: ORG, memberships: {}, orgRole: role };
}
function key(scopes: readonly string[], workspaceId = WS): ApiKeyPrincipal {
  return { kind: 'api_key', keyId: 'k-1', organizationId: ORG, workspaceId, scopes };
}

function thrown(fn: () => void): AuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError');
}

const actionArea = (action: Action) => action.split('.')[0];
const writeActions = permissionMatrix().filter((entry) => entry.kind === 'write');

describe('the permission matrix', () => {
  it('has exactly one entry per action, in declaration order, with a cell for every role', () => {
    const matrix = permissionMatrix();
    expect(matrix.map((entry) => entry.action)).toEqual([...ACTIONS]);
    for (const entry of matrix) expect(Object.keys(entry.allowed).sort()).toEqual([...ALL_ROLES].sort());
    expect(ALL_ROLES).toEqual(['owner', 'admin', 'billing', 'member', 'viewer']);
  });

  it('is immutable from the outside', () => {
    const entry = permissionMatrix()[0] as { allowed: Record<Role, boolean> };
    expect(() => {
      entry.allowed.viewer = !entry.allowed.viewer;
    }).toThrow(TypeError);
  });

  describe.each(permissionMatrix().map((entry) => [entry.action, entry] as const))('%s', (action, entry) => {
    it('is allowed to the owner', () => {
      expect(entry.allowed.owner).toBe(true);
      expect(can(user('owner'), action, { organizationId: ORG, workspaceId: WS })).toBe(true);
    });

    it('agrees with can() for every role, in the workspace and organization-wide', () => {
      for (const role of ALL_ROLES) {
        expect(can(user(role), action, { workspaceId: WS })).toBe(entry.allowed[role]);
        expect(can(orgUser(role), action)).toBe(entry.allowed[role]);
        expect(roleCan(role, action)).toBe(entry.allowed[role]);
      }
      expect(allowedRoles(action)).toEqual(ALL_ROLES.filter((role) => entry.allowed[role]));
    });

    it('is admin-only exactly when neither members nor viewers may do it', () => {
      expect(entry.adminOnly).toBe(!entry.allowed.member && !entry.allowed.viewer);
    });

    if (entry.kind === 'write' && !entry.self) {
      it('is refused to viewers (a write on the tenant)', () => {
        expect(entry.allowed.viewer).toBe(false);
      });
    }

    it('is granted to an API key only by a scope that a member role could also use', () => {
      for (const scope of entry.scopes) {
        expect(API_KEY_SCOPES).toContain(scope);
        expect(entry.allowed.member).toBe(true);
      }
    });
  });

  it('leaves viewers nothing but reads, their own profile and an organization of their own', () => {
    const viewerWrites = writeActions.filter((entry) => entry.allowed.viewer).map((entry) => entry.action);
    expect(viewerWrites.sort()).toEqual(['organization.create', 'profile.update']);
    expect(permissionMatrix().filter((entry) => entry.self).map((entry) => entry.action).sort()).toEqual([
      'billing.plans.read',
      'organization.create',
      'profile.read',
      'profile.update',
    ]);
  });

  it('lets only owners and admins manage members, invitations, keys and models', () => {
    const managed = writeActions.filter((entry) => ['member', 'invitation', 'api_key', 'models'].includes(actionArea(entry.action) ?? ''));
    expect(managed.map((entry) => entry.action)).toEqual([
      'member.invite',
      'member.update_role',
      'member.remove',
      'invitation.revoke',
      'api_key.issue',
      'api_key.revoke',
      'models.write',
    ]);
    for (const entry of managed) expect(allowedRoles(entry.action)).toEqual(['owner', 'admin']);
    for (const action of ['member.read', 'invitation.read', 'api_key.read', 'models.read'] as const) {
      expect(allowedRoles(action)).toEqual(['owner', 'admin']);
    }
  });

  it('lets the billing role manage billing and budgets but not the team or the work', () => {
    for (const action of ['billing.read', 'billing.write', 'budgets.write', 'usage.read'] as const) expect(roleCan('billing', action)).toBe(true);
    for (const action of ['member.invite', 'member.read', 'api_key.issue', 'models.write', 'jobs.write', 'usage.write'] as const) {
      expect(roleCan('billing', action)).toBe(false);
    }
  });

  it('lets members work with jobs and usage of their workspace and read its runtimes, and keeps them out of money, team and runtime credentials', () => {
    for (const action of ['jobs.read', 'jobs.write', 'usage.read', 'usage.write', 'runtimes.read', 'runtimes.test', 'budgets.read'] as const) {
      expect(roleCan('member', action)).toBe(true);
    }
    for (const action of ['billing.read', 'billing.write', 'budgets.write', 'member.invite', 'activity.read', 'runtimes.write'] as const) {
      expect(roleCan('member', action)).toBe(false);
    }
  });

  it('never gives an API key a member, invitation, API key, billing, budget, model, organization or workspace write', () => {
    const granted = actionsForScopes(API_KEY_SCOPES);
    const forbiddenAreas = ['member', 'invitation', 'api_key', 'billing', 'budgets', 'models', 'organization', 'workspace'];
    // a reservation holds budget for a call an agent is about to make: it changes no budget
    const managing = writeActions.filter((entry) => entry.action !== 'budgets.reserve');
    const leaks = managing.filter((entry) => granted.includes(entry.action) && forbiddenAreas.includes(actionArea(entry.action) ?? ''));
    expect(leaks).toEqual([]);
    const allScopes = key(API_KEY_SCOPES);
    for (const entry of managing.filter((e) => forbiddenAreas.includes(actionArea(e.action) ?? ''))) {
      expect(can(allScopes, entry.action, { organizationId: ORG, workspaceId: WS })).toBe(false);
    }
  });

  it('validates action names and scopes with zod', () => {
    expect(ActionSchema.safeParse('jobs.write').success).toBe(true);
    expect(ActionSchema.safeParse('jobs.delete').success).toBe(false);
    expect(ApiKeyScopeEnum.safeParse('usage:write').success).toBe(true);
    expect(ApiKeyScopeEnum.safeParse('member:write').success).toBe(false);
  });
});

describe('actionsForScopes', () => {
  it('maps each scope to its actions', () => {
    expect(actionsForScopes(['read'])).toEqual(['workspace.read', 'usage.read', 'jobs.read', 'runtimes.read', 'budgets.read']);
    expect(actionsForScopes(['usage:write'])).toEqual(['usage.write', 'budgets.reserve']);
    expect(actionsForScopes(['jobs:write', 'runtimes:write'])).toEqual(['jobs.write', 'runtimes.test']);
    expect(actionsForScopes(['admin', 'member:write'])).toEqual([]);
    expect(actionsForScopes([])).toEqual([]);
  });
});

describe('allowedRoles', () => {
  it('lists roles most powerful first', () => {
    expect(allowedRoles('usage.write')).toEqual(['owner', 'admin', 'member']);
    expect(allowedRoles('billing.write')).toEqual(['owner', 'billing']);
    expect(allowedRoles('billing.read')).toEqual(['owner', 'admin', 'billing']);
    expect(allowedRoles('jobs.read')).toEqual(['owner', 'admin', 'billing', 'member', 'viewer']);
  });

  it('refuses an unknown action loudly (a typo must not read as "nobody")', () => {
    expect(() => allowedRoles('jobs.delete' as Action)).toThrow(TypeError);
  });
});

describe('canManageOwner', () => {
  it('is true for owners only', () => {
    expect(ALL_ROLES.filter((role) => canManageOwner(role))).toEqual(['owner']);
    expect(canManageOwner(undefined)).toBe(false);
  });
});

describe('can', () => {
  it('refuses another organization whatever the role', () => {
    expect(can(orgUser('owner'), 'organization.read', { organizationId: 'org-2' })).toBe(false);
    expect(can(key(['read']), 'jobs.read', { organizationId: 'org-2', workspaceId: WS })).toBe(false);
  });

  it('refuses a workspace the user is not a member of, and uses the role of the workspace named', () => {
    const multi: UserPrincipal = { kind: 'user', userId: 'u', organizationId: ORG, memberships: { 'ws-a': 'admin', 'ws-b': 'viewer' } };
    expect(can(multi, 'member.invite', { workspaceId: 'ws-a' })).toBe(true);
    expect(can(multi, 'member.invite', { workspaceId: 'ws-b' })).toBe(false);
    expect(can(multi, 'jobs.read', { workspaceId: 'ws-c' })).toBe(false);
  });

  it('evaluates organization-level actions with the organization role (members without one are viewers of it)', () => {
    const member = user('admin');
    expect(can(member, 'organization.read')).toBe(true);
    expect(can(member, 'workspace.create')).toBe(false);
    expect(can(orgUser('admin'), 'workspace.create')).toBe(true);
    const stranger: UserPrincipal = { kind: 'user', userId: 'x', organizationId: ORG, memberships: {} };
    expect(can(stranger, 'organization.read')).toBe(false);
  });

  it('lets an API key act in its own workspace through its scopes only', () => {
    const ingest = key(['usage:write']);
    expect(can(ingest, 'usage.write', { workspaceId: WS })).toBe(true);
    expect(can(ingest, 'usage.write')).toBe(true);
    expect(can(ingest, 'usage.read', { workspaceId: WS })).toBe(false);
    expect(can(ingest, 'usage.write', { workspaceId: 'ws-2' })).toBe(false);
    expect(can(key(['read']), 'profile.read')).toBe(false);
  });
});

describe('assertCan', () => {
  it('returns quietly when allowed', () => {
    expect(() => assertCan(user('member'), 'jobs.write', { organizationId: ORG, workspaceId: WS })).not.toThrow();
  });

  it('throws FORBIDDEN "Access Restricted" with the admin-only detail on an admin area', () => {
    for (const role of ['billing', 'member', 'viewer'] as const) {
      const error = thrown(() => assertCan(user(role), 'member.invite', { workspaceId: WS }));
      expect(error.code).toBe(AuthErrorCode.Forbidden);
      expect(error.title).toBe('Access Restricted');
      expect(error.detail).toBe('You do not have admin privileges to manage team settings, users, or billing configuration.');
      expect(error.detail).toBe(ADMIN_ONLY_DETAIL);
      expect(error.details).toMatchObject({ action: 'member.invite', workspaceId: WS, principal: { kind: 'user', userId: `u-${role}` } });
    }
    const keyError = thrown(() => assertCan(key(API_KEY_SCOPES), 'api_key.issue', { workspaceId: WS }));
    expect([keyError.code, keyError.title, keyError.detail]).toEqual([AuthErrorCode.Forbidden, 'Access Restricted', ADMIN_ONLY_DETAIL]);
  });

  it('names what was refused outside admin areas', () => {
    const error = thrown(() => assertCan(user('viewer'), 'jobs.write', { workspaceId: WS }));
    expect([error.code, error.title, error.detail]).toEqual([
      AuthErrorCode.Forbidden,
      'Access Restricted',
      'Your role does not allow you to start jobs and record their steps.',
    ]);
    const keyError = thrown(() => assertCan(key(['read']), 'jobs.write', { workspaceId: WS }));
    expect(keyError.detail).toBe("This API key's scopes do not allow it to start jobs and record their steps.");
  });

  it('throws OUT_OF_SCOPE (a 404, not a 403) for another tenant', () => {
    expect(thrown(() => assertCan(user('owner'), 'jobs.read', { workspaceId: 'ws-9' })).code).toBe(AuthErrorCode.OutOfScope);
    expect(thrown(() => assertCan(orgUser('owner'), 'jobs.read', { organizationId: 'org-9' })).code).toBe(AuthErrorCode.OutOfScope);
    expect(thrown(() => assertCan(key(['read']), 'jobs.read', { workspaceId: 'ws-9' })).code).toBe(AuthErrorCode.OutOfScope);
  });
});

describe('workspacesAllowed', () => {
  it('is "all" for an organization-wide role that allows the action, none when it does not', () => {
    expect(workspacesAllowed(orgUser('admin'), 'usage.read')).toBe('all');
    expect(workspacesAllowed(orgUser('viewer'), 'usage.write')).toEqual([]);
  });

  it('lists the memberships whose role allows the action', () => {
    const multi: UserPrincipal = { kind: 'user', userId: 'u', organizationId: ORG, memberships: { a: 'member', b: 'viewer', c: 'admin' } };
    expect(workspacesAllowed(multi, 'jobs.write')).toEqual(['a', 'c']);
    expect(workspacesAllowed(multi, 'jobs.read')).toEqual(['a', 'b', 'c']);
  });

  it('is the key\'s own workspace, or nothing', () => {
    expect(workspacesAllowed(key(['read']), 'usage.read')).toEqual([WS]);
    expect(workspacesAllowed(key(['read']), 'usage.write')).toEqual([]);
  });
});
