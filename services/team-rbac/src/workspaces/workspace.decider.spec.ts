import type { TeamEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { command, AT, ORGANIZATION_CREATED, SCOPE } from '../shared/team-fixtures';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { workspaceDecider } from './workspace.decider';

const scope = SCOPE;
const created: readonly TeamEvent[] = ORGANIZATION_CREATED;
const { given } = deciderSpec(workspaceDecider);

const joined = (userId: string, role: 'admin' | 'member' | 'owner'): TeamEvent[] => [
  { type: 'MemberJoined', data: { ...scope, userId, email: `${userId}@acme.test`, role, via: 'invitation', invitationId: `inv-${userId}`, joinedAt: AT } },
  ...(role === 'owner' ? [{ type: 'OrganizationOwnerAdded' as const, data: { ...scope, userId } }] : []),
];

const changeRole = (userId: string, role: 'owner' | 'admin' | 'member' | 'viewer', actor: string, expectedRole?: 'owner' | 'admin' | 'member') =>
  command('ChangeMemberRole', { workspaceId: 'ws-1', userId, role, ...(expectedRole ? { expectedRole } : {}) }, actor);
const remove = (userId: string, actor: string) => command('RemoveMember', { workspaceId: 'ws-1', userId }, actor);

describe('workspace decider: membership', () => {
  const team = [...created, ...joined('u-admin', 'admin'), ...joined('u-member', 'member')];

  it("changes a member's role", () => {
    given(team)
      .when(changeRole('u-member', 'viewer', 'u-admin'))
      .then([{ type: 'MemberRoleChanged', data: { ...scope, userId: 'u-member', from: 'member', to: 'viewer', changedBy: 'u-admin' } }]);
  });

  it('does nothing when the member already has the role', () => {
    given(team).when(changeRole('u-member', 'member', 'u-admin')).thenNothingHappened();
  });

  it('refuses when the role is no longer the one the caller saw (CONFLICT)', () => {
    const moved = [...team, ...given(team).when(changeRole('u-member', 'viewer', 'u-admin')).events()];
    given(moved).when(changeRole('u-member', 'admin', 'u-owner', 'member')).thenThrows(TeamError, { code: TeamErrorCode.Conflict });
  });

  it('removes a member', () => {
    given(team)
      .when(remove('u-member', 'u-admin'))
      .then([{ type: 'MemberRemoved', data: { ...scope, userId: 'u-member', role: 'member', removedBy: 'u-admin' } }]);
  });

  it('answers NOT_FOUND for a non-member and an unknown workspace', () => {
    given(team).when(remove('u-nobody', 'u-admin')).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
    given([]).when(remove('u-member', 'u-admin')).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
  });

  describe('only an owner makes or removes an owner', () => {
    it('refuses an admin making an owner', () => {
      given(team).when(changeRole('u-member', 'owner', 'u-admin')).thenThrows(TeamError, { code: TeamErrorCode.NotOwner });
    });

    it('refuses an admin demoting or removing an owner', () => {
      const twoOwners = [...team, ...joined('u-owner2', 'owner')];
      given(twoOwners).when(changeRole('u-owner2', 'member', 'u-admin')).thenThrows(TeamError, { code: TeamErrorCode.NotOwner });
      given(twoOwners).when(remove('u-owner2', 'u-admin')).thenThrows(TeamError, { code: TeamErrorCode.NotOwner });
    });

    it('lets an owner make an owner: the organization gains an owner seat', () => {
      given(team)
        .when(changeRole('u-admin', 'owner', 'u-owner'))
        .then((events) => {
          expect(events.map((e) => e.type)).toEqual(['MemberRoleChanged', 'OrganizationOwnerAdded']);
          expect(given([...team, ...events]).state.organization).toMatchObject({
            owners: [
              { workspaceId: 'ws-1', userId: 'u-owner' },
              { workspaceId: 'ws-1', userId: 'u-admin' },
            ],
          });
        });
    });

    it('lets an owner demote another owner: the seat goes', () => {
      const twoOwners = [...team, ...joined('u-owner2', 'owner')];
      given(twoOwners)
        .when(changeRole('u-owner2', 'admin', 'u-owner'))
        .then((events) => {
          expect(events.map((e) => e.type)).toEqual(['MemberRoleChanged', 'OrganizationOwnerRemoved']);
          expect(given([...twoOwners, ...events]).state.organization).toMatchObject({ owners: [{ userId: 'u-owner' }] });
        });
    });
  });

  describe('an organization always keeps at least one owner', () => {
    it('refuses demoting the last owner, even by themselves', () => {
      given(team).when(changeRole('u-owner', 'admin', 'u-owner')).thenThrows(TeamError, { code: TeamErrorCode.LastOwner });
    });

    it('refuses removing the last owner', () => {
      given(team).when(remove('u-owner', 'u-owner')).thenThrows(TeamError, { code: TeamErrorCode.LastOwner });
    });

    it('lets the owner step down once another owner exists', () => {
      const twoOwners = [...team, ...joined('u-owner2', 'owner')];
      given(twoOwners)
        .when(remove('u-owner', 'u-owner'))
        .then((events) => expect(events.map((e) => e.type)).toEqual(['MemberRemoved', 'OrganizationOwnerRemoved']));
    });

    it('counts an owner seat held in another workspace of the organization', () => {
      const elsewhere: TeamEvent[] = [...team, { type: 'OrganizationOwnerAdded', data: { organizationId: 'org-1', workspaceId: 'ws-2', userId: 'u-owner' } }];
      given(elsewhere)
        .when(changeRole('u-owner', 'admin', 'u-owner'))
        .then((events) => expect(events.map((e) => e.type)).toEqual(['MemberRoleChanged', 'OrganizationOwnerRemoved']));
    });
  });
});

describe('workspace decider: settings', () => {
  const status = (to: 'provisioning' | 'active' | 'suspended' | 'attention') =>
    command('ChangeWorkspaceStatus', { workspaceId: 'ws-1', status: to }, 'u-owner');
  const once = (events: readonly TeamEvent[]) => expect(events).toHaveLength(1);

  it('renames; the same name changes nothing', () => {
    given(created)
      .when(command('RenameWorkspace', { workspaceId: 'ws-1', name: 'Data' }))
      .then([{ type: 'WorkspaceRenamed', data: { ...scope, name: 'Data', previousName: 'Main' } }]);
    given(created).when(command('RenameWorkspace', { workspaceId: 'ws-1', name: 'Main' })).thenNothingHappened();
  });

  it('moves provisioning → active ⇄ suspended, and to and from attention', () => {
    const provisioning = created.slice(0, 2);
    given(provisioning)
      .when(status('active'))
      .then([{ type: 'WorkspaceStatusChanged', data: { ...scope, from: 'provisioning', to: 'active' } }]);
    const suspended = [...created, ...given(created).when(status('suspended')).events()];
    expect(given(suspended).state.workspace).toMatchObject({ status: 'suspended' });
    given(suspended).when(status('active')).then(once);
    const attention = [...created, ...given(created).when(status('attention')).events()];
    given(attention).when(status('active')).then(once);
    given(provisioning).when(status('attention')).then(once);
  });

  it('refuses going back to provisioning, and suspending a workspace still provisioning', () => {
    given(created).when(status('provisioning')).thenThrows(TeamError, { code: TeamErrorCode.InvalidStatusTransition });
    given(created.slice(0, 2)).when(status('suspended')).thenThrows(TeamError, { code: TeamErrorCode.InvalidStatusTransition });
  });

  it('does nothing when the status already is the one asked', () => {
    given(created).when(status('active')).thenNothingHappened();
  });
});

describe('workspace decider: one update of name and status', () => {
  const update = (payload: { name?: string; status?: 'provisioning' | 'active' | 'suspended' | 'attention'; reason?: string }) =>
    command('UpdateWorkspace', { workspaceId: 'ws-1', ...payload });
  /** What RenameWorkspace then ChangeWorkspaceStatus decide on the same state. */
  const asTwoCommands = (given_: readonly TeamEvent[], name: string, status: 'active' | 'suspended' | 'attention', reason?: string): TeamEvent[] => {
    const renamed = given(given_).when(command('RenameWorkspace', { workspaceId: 'ws-1', name })).events();
    const changed = given([...given_, ...renamed]).when(command('ChangeWorkspaceStatus', { workspaceId: 'ws-1', status, ...(reason ? { reason } : {}) })).events();
    return [...renamed, ...changed];
  };

  it('renames and changes the status in one decision: the events the two commands make', () => {
    const expected: TeamEvent[] = [
      { type: 'WorkspaceRenamed', data: { ...scope, name: 'Lab', previousName: 'Main' } },
      { type: 'WorkspaceStatusChanged', data: { ...scope, from: 'active', to: 'suspended', reason: 'budget' } },
    ];
    given(created).when(update({ name: 'Lab', status: 'suspended', reason: 'budget' })).then(expected);
    expect(asTwoCommands(created, 'Lab', 'suspended', 'budget')).toEqual(expected);
  });

  it('does only the half that changes something', () => {
    given(created)
      .when(update({ name: 'Main', status: 'suspended' }))
      .then([{ type: 'WorkspaceStatusChanged', data: { ...scope, from: 'active', to: 'suspended' } }]);
    given(created)
      .when(update({ name: 'Lab', status: 'active' }))
      .then([{ type: 'WorkspaceRenamed', data: { ...scope, name: 'Lab', previousName: 'Main' } }]);
    given(created).when(update({ name: 'Lab' })).then(asTwoCommands(created, 'Lab', 'active'));
  });

  it('does nothing when the workspace already is as asked', () => {
    given(created).when(update({ name: 'Main', status: 'active' })).thenNothingHappened();
    given(created).when(update({ status: 'active', reason: 'again' })).thenNothingHappened();
  });

  it('refuses the whole update when the status cannot change: the rename does not land either', () => {
    given(created).when(update({ name: 'Lab', status: 'provisioning' })).thenThrows(TeamError, { code: TeamErrorCode.InvalidStatusTransition });
    given(created.slice(0, 2)).when(update({ name: 'Lab', status: 'suspended' })).thenThrows(TeamError, { code: TeamErrorCode.InvalidStatusTransition });
  });

  it('answers NOT_FOUND for an unknown workspace', () => {
    given([]).when(update({ name: 'Lab' })).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
  });
});
