import type { TeamEvent } from '@steward/contracts';
import { command, given, refusal, AT, ORGANIZATION_CREATED, SCOPE } from '../shared/decider-testing';
import { TeamErrorCode } from '../shared/team.error';
import { organizationAggregate } from '../organizations/organization.state';
import { decideWorkspace, type WorkspaceCommand } from './workspace.decider';
import { workspaceAggregate } from './workspace.state';

const scope = SCOPE;
const created: readonly TeamEvent[] = ORGANIZATION_CREATED;

const joined = (userId: string, role: 'admin' | 'member' | 'owner'): TeamEvent[] => [
  { type: 'MemberJoined', data: { ...scope, userId, email: `${userId}@acme.test`, role, via: 'invitation', invitationId: `inv-${userId}`, joinedAt: AT } },
  ...(role === 'owner' ? [{ type: 'OrganizationOwnerAdded' as const, data: { ...scope, userId } }] : []),
];

/** given events / when command / then events. */
function when(history: readonly TeamEvent[], cmd: WorkspaceCommand): TeamEvent[] {
  return decideWorkspace(cmd, { workspace: given(workspaceAggregate, history), organization: given(organizationAggregate, history) });
}

const changeRole = (userId: string, role: 'owner' | 'admin' | 'member' | 'viewer', actor: string, expectedRole?: 'owner' | 'admin' | 'member') =>
  command('ChangeMemberRole', { workspaceId: 'ws-1', userId, role, ...(expectedRole ? { expectedRole } : {}) }, actor);
const remove = (userId: string, actor: string) => command('RemoveMember', { workspaceId: 'ws-1', userId }, actor);

describe('workspace decider: membership', () => {
  const team = [...created, ...joined('u-admin', 'admin'), ...joined('u-member', 'member')];

  it("changes a member's role", () => {
    expect(when(team, changeRole('u-member', 'viewer', 'u-admin'))).toEqual([
      { type: 'MemberRoleChanged', data: { ...scope, userId: 'u-member', from: 'member', to: 'viewer', changedBy: 'u-admin' } },
    ]);
  });

  it('does nothing when the member already has the role', () => {
    expect(when(team, changeRole('u-member', 'member', 'u-admin'))).toEqual([]);
  });

  it('refuses when the role is no longer the one the caller saw (CONFLICT)', () => {
    const moved = [...team, ...when(team, changeRole('u-member', 'viewer', 'u-admin'))];
    expect(refusal(() => when(moved, changeRole('u-member', 'admin', 'u-owner', 'member')))).toBe(TeamErrorCode.Conflict);
  });

  it('removes a member', () => {
    expect(when(team, remove('u-member', 'u-admin'))).toEqual([
      { type: 'MemberRemoved', data: { ...scope, userId: 'u-member', role: 'member', removedBy: 'u-admin' } },
    ]);
  });

  it('answers NOT_FOUND for a non-member and an unknown workspace', () => {
    expect(refusal(() => when(team, remove('u-nobody', 'u-admin')))).toBe(TeamErrorCode.NotFound);
    expect(refusal(() => when([], remove('u-member', 'u-admin')))).toBe(TeamErrorCode.NotFound);
  });

  describe('only an owner makes or removes an owner', () => {
    it('refuses an admin making an owner', () => {
      expect(refusal(() => when(team, changeRole('u-member', 'owner', 'u-admin')))).toBe(TeamErrorCode.NotOwner);
    });

    it('refuses an admin demoting or removing an owner', () => {
      const twoOwners = [...team, ...joined('u-owner2', 'owner')];
      expect(refusal(() => when(twoOwners, changeRole('u-owner2', 'member', 'u-admin')))).toBe(TeamErrorCode.NotOwner);
      expect(refusal(() => when(twoOwners, remove('u-owner2', 'u-admin')))).toBe(TeamErrorCode.NotOwner);
    });

    it('lets an owner make an owner: the organization gains an owner seat', () => {
      const events = when(team, changeRole('u-admin', 'owner', 'u-owner'));
      expect(events.map((e) => e.type)).toEqual(['MemberRoleChanged', 'OrganizationOwnerAdded']);
      expect(given(organizationAggregate, [...team, ...events])).toMatchObject({
        owners: [
          { workspaceId: 'ws-1', userId: 'u-owner' },
          { workspaceId: 'ws-1', userId: 'u-admin' },
        ],
      });
    });

    it('lets an owner demote another owner: the seat goes', () => {
      const twoOwners = [...team, ...joined('u-owner2', 'owner')];
      const events = when(twoOwners, changeRole('u-owner2', 'admin', 'u-owner'));
      expect(events.map((e) => e.type)).toEqual(['MemberRoleChanged', 'OrganizationOwnerRemoved']);
      expect(given(organizationAggregate, [...twoOwners, ...events])).toMatchObject({ owners: [{ userId: 'u-owner' }] });
    });
  });

  describe('an organization always keeps at least one owner', () => {
    it('refuses demoting the last owner, even by themselves', () => {
      expect(refusal(() => when(team, changeRole('u-owner', 'admin', 'u-owner')))).toBe(TeamErrorCode.LastOwner);
    });

    it('refuses removing the last owner', () => {
      expect(refusal(() => when(team, remove('u-owner', 'u-owner')))).toBe(TeamErrorCode.LastOwner);
    });

    it('lets the owner step down once another owner exists', () => {
      const twoOwners = [...team, ...joined('u-owner2', 'owner')];
      expect(when(twoOwners, remove('u-owner', 'u-owner')).map((e) => e.type)).toEqual(['MemberRemoved', 'OrganizationOwnerRemoved']);
    });

    it('counts an owner seat held in another workspace of the organization', () => {
      const elsewhere: TeamEvent[] = [...team, { type: 'OrganizationOwnerAdded', data: { organizationId: 'org-1', workspaceId: 'ws-2', userId: 'u-owner' } }];
      expect(when(elsewhere, changeRole('u-owner', 'admin', 'u-owner')).map((e) => e.type)).toEqual([
        'MemberRoleChanged',
        'OrganizationOwnerRemoved',
      ]);
    });
  });
});

describe('workspace decider: settings', () => {
  const status = (to: 'provisioning' | 'active' | 'suspended' | 'attention') =>
    command('ChangeWorkspaceStatus', { workspaceId: 'ws-1', status: to }, 'u-owner');

  it('renames; the same name changes nothing', () => {
    expect(when(created, command('RenameWorkspace', { workspaceId: 'ws-1', name: 'Data' }))).toEqual([
      { type: 'WorkspaceRenamed', data: { ...scope, name: 'Data', previousName: 'Main' } },
    ]);
    expect(when(created, command('RenameWorkspace', { workspaceId: 'ws-1', name: 'Main' }))).toEqual([]);
  });

  it('moves provisioning → active ⇄ suspended, and to and from attention', () => {
    const provisioning = created.slice(0, 2);
    expect(when(provisioning, status('active'))).toEqual([{ type: 'WorkspaceStatusChanged', data: { ...scope, from: 'provisioning', to: 'active' } }]);
    const suspended = [...created, ...when(created, status('suspended'))];
    expect(given(workspaceAggregate, suspended)).toMatchObject({ status: 'suspended' });
    expect(when(suspended, status('active'))).toHaveLength(1);
    const attention = [...created, ...when(created, status('attention'))];
    expect(when(attention, status('active'))).toHaveLength(1);
    expect(when(provisioning, status('attention'))).toHaveLength(1);
  });

  it('refuses going back to provisioning, and suspending a workspace still provisioning', () => {
    expect(refusal(() => when(created, status('provisioning')))).toBe(TeamErrorCode.InvalidStatusTransition);
    expect(refusal(() => when(created.slice(0, 2), status('suspended')))).toBe(TeamErrorCode.InvalidStatusTransition);
  });

  it('does nothing when the status already is the one asked', () => {
    expect(when(created, status('active'))).toEqual([]);
  });
});
