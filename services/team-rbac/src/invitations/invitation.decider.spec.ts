import type { TeamEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { command, AT, ORGANIZATION_CREATED, SCOPE } from '../shared/team-fixtures';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { invitationDecider } from './invitation.decider';

const scope = SCOPE;
const TOKEN = 'a'.repeat(64);
const OTHER_TOKEN = 'b'.repeat(64);

const created: TeamEvent[] = [
  ...ORGANIZATION_CREATED,
  { type: 'MemberJoined', data: { ...scope, userId: 'u-admin', email: 'admin@acme.test', role: 'admin', via: 'creation', joinedAt: AT } },
];

const { given } = deciderSpec(invitationDecider);

const invite = (email: string, role: 'owner' | 'member' = 'member', actor = 'u-admin') =>
  command('InviteMember', { workspaceId: 'ws-1', invitationId: 'inv-1', email, role, message: 'welcome', tokenHash: TOKEN }, actor);
const accept = (at: string, tokenHash = TOKEN, userId = 'u-new') =>
  command('AcceptInvitation', { invitationId: 'inv-1', tokenHash, userId }, userId, at);
const revoke = (actor = 'u-admin') => command('RevokeInvitation', { workspaceId: 'ws-1', invitationId: 'inv-1' }, actor);

describe('invitation decider', () => {
  const invited = [...created, ...given(created).when(invite('new@acme.test')).events()];

  it('invites by email with role and message, expiring after 7 days', () => {
    given(created)
      .when(invite('New@Acme.test'.toLowerCase()))
      .then([
        {
          type: 'MemberInvited',
          data: {
            ...scope,
            invitationId: 'inv-1',
            email: 'new@acme.test',
            role: 'member',
            message: 'welcome',
            tokenHash: TOKEN,
            invitedBy: 'u-admin',
            invitedAt: AT,
            expiresAt: '2026-11-28T10:00:00.000Z',
          },
        },
      ]);
  });

  it('refuses inviting an existing member (MEMBER_EXISTS)', () => {
    given(created).when(invite('admin@acme.test')).thenThrows(TeamError, { code: TeamErrorCode.MemberExists });
  });

  it('refuses an admin inviting an owner; an owner may', () => {
    given(created).when(invite('boss@acme.test', 'owner')).thenThrows(TeamError, { code: TeamErrorCode.NotOwner });
    given(created)
      .when(invite('boss@acme.test', 'owner', 'u-owner'))
      .then((events) => expect(events).toHaveLength(1));
  });

  it('refuses an invitation id already used', () => {
    given(invited).when(invite('other@acme.test')).thenThrows(TeamError, { code: TeamErrorCode.InvitationExists });
  });

  it('accepts with the right token before expiry: the invitee joins with the invited role', () => {
    given(invited)
      .when(accept('2026-11-28T09:59:59.000Z'))
      .then((events) => {
        expect(events.map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined']);
        expect(given([...invited, ...events]).state.workspace).toMatchObject({
          members: { 'u-new': { role: 'member', email: 'new@acme.test' } },
        });
      });
  });

  it('a new person joins with the name they gave, which starts their profile, in the same decision', () => {
    const at = '2026-11-22T10:00:00.000Z';
    const newcomer = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new', newUser: { name: 'New Comer' } }, 'u-new', at);
    const events = given(invited).when(newcomer).events();
    expect(events.map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined', 'UserProfileUpdated']);
    expect(events[2]).toEqual({
      type: 'UserProfileUpdated',
      data: { userId: 'u-new', name: 'New Comer', organizationName: null, timeZone: null, customInstructions: null, updatedAt: at },
    });
    // without a name nothing is said about the profile
    const nameless = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new', newUser: {} }, 'u-new', at);
    expect(given(invited).when(nameless).events().map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined']);
    // a refused acceptance starts no profile either
    const late = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new', newUser: { name: 'Late' } }, 'u-new', '2026-11-28T10:00:00.000Z');
    given(invited).when(late).thenThrows(TeamError, { code: TeamErrorCode.InvitationExpired });
  });

  it('an accepted invitation cannot be accepted again', () => {
    const accepted = [...invited, ...given(invited).when(accept('2026-11-22T10:00:00.000Z')).events()];
    given(accepted).when(accept('2026-11-22T11:00:00.000Z', TOKEN, 'u-someone')).thenThrows(TeamError, { code: TeamErrorCode.InvitationAccepted });
  });

  it('an expired invitation cannot be accepted (time comes in on the command)', () => {
    given(invited).when(accept('2026-11-28T10:00:00.000Z')).thenThrows(TeamError, { code: TeamErrorCode.InvitationExpired });
  });

  it('refuses a wrong token before telling anything else', () => {
    given(invited).when(accept('2030-01-01T00:00:00.000Z', OTHER_TOKEN)).thenThrows(TeamError, { code: TeamErrorCode.InvalidToken });
  });

  it('refuses someone accepting for another person', () => {
    const forOther = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new' }, 'u-intruder');
    given(invited).when(forOther).thenThrows(TeamError, { code: TeamErrorCode.Forbidden });
  });

  it('refuses accepting once the person joined another way (MEMBER_EXISTS)', () => {
    const joinedMeanwhile: TeamEvent[] = [
      ...invited,
      { type: 'MemberJoined', data: { ...scope, userId: 'u-x', email: 'new@acme.test', role: 'viewer', via: 'invitation', joinedAt: AT } },
    ];
    given(joinedMeanwhile).when(accept('2026-11-22T10:00:00.000Z')).thenThrows(TeamError, { code: TeamErrorCode.MemberExists });
  });

  it('an owner invitation gives the invitee an owner seat on acceptance', () => {
    const ownerInvited = [...created, ...given(created).when(invite('boss@acme.test', 'owner', 'u-owner')).events()];
    given(ownerInvited)
      .when(accept('2026-11-22T10:00:00.000Z', TOKEN, 'u-boss'))
      .then((events) => expect(events.map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined', 'OrganizationOwnerAdded']));
  });

  it('revokes a pending invitation; a revoked one can be neither revoked nor accepted', () => {
    const revoked = [...invited, ...given(invited).when(revoke()).events()];
    expect(given(revoked).state.invitation).toMatchObject({ status: 'revoked' });
    given(revoked).when(revoke()).thenThrows(TeamError, { code: TeamErrorCode.InvitationRevoked });
    given(revoked).when(accept('2026-11-22T10:00:00.000Z')).thenThrows(TeamError, { code: TeamErrorCode.InvitationRevoked });
  });

  it('refuses revoking an accepted invitation, or one of another workspace', () => {
    const accepted = [...invited, ...given(invited).when(accept('2026-11-22T10:00:00.000Z')).events()];
    given(accepted).when(revoke()).thenThrows(TeamError, { code: TeamErrorCode.InvitationAccepted });
    const elsewhere = command('RevokeInvitation', { workspaceId: 'ws-other', invitationId: 'inv-1' }, 'u-admin');
    given(invited).when(elsewhere).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
  });
});
