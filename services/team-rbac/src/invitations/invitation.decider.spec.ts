import type { TeamEvent } from '@steward/contracts';
import { command, given, refusal, AT, ORGANIZATION_CREATED, SCOPE } from '../shared/decider-testing';
import { TeamErrorCode } from '../shared/team.error';
import { organizationAggregate } from '../organizations/organization.state';
import { workspaceAggregate } from '../workspaces/workspace.state';
import { userProfileAggregate } from '../profiles/user-profile.state';
import { decideInvitation, type InvitationCommand } from './invitation.decider';
import { invitationAggregate } from './invitation.state';

const scope = SCOPE;
const TOKEN = 'a'.repeat(64);
const OTHER_TOKEN = 'b'.repeat(64);

const created: TeamEvent[] = [
  ...ORGANIZATION_CREATED,
  { type: 'MemberJoined', data: { ...scope, userId: 'u-admin', email: 'admin@acme.test', role: 'admin', via: 'creation', joinedAt: AT } },
];

function when(history: TeamEvent[], cmd: InvitationCommand): TeamEvent[] {
  return decideInvitation(cmd, {
    invitation: given(invitationAggregate, history),
    workspace: given(workspaceAggregate, history),
    organization: given(organizationAggregate, history),
    // a new person's profile is loaded with the acceptance
    ...(cmd.type === 'AcceptInvitation' && cmd.payload.newUser ? { user: given(userProfileAggregate, history) } : {}),
  });
}

const invite = (email: string, role: 'owner' | 'member' = 'member', actor = 'u-admin') =>
  command('InviteMember', { workspaceId: 'ws-1', invitationId: 'inv-1', email, role, message: 'welcome', tokenHash: TOKEN }, actor);
const accept = (at: string, tokenHash = TOKEN, userId = 'u-new') =>
  command('AcceptInvitation', { invitationId: 'inv-1', tokenHash, userId }, userId, at);
const revoke = (actor = 'u-admin') => command('RevokeInvitation', { workspaceId: 'ws-1', invitationId: 'inv-1' }, actor);

describe('invitation decider', () => {
  const invited = [...created, ...when(created, invite('new@acme.test'))];

  it('invites by email with role and message, expiring after 7 days', () => {
    expect(when(created, invite('New@Acme.test'.toLowerCase()))).toEqual([
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
    expect(refusal(() => when(created, invite('admin@acme.test')))).toBe(TeamErrorCode.MemberExists);
  });

  it('refuses an admin inviting an owner; an owner may', () => {
    expect(refusal(() => when(created, invite('boss@acme.test', 'owner')))).toBe(TeamErrorCode.NotOwner);
    expect(when(created, invite('boss@acme.test', 'owner', 'u-owner'))).toHaveLength(1);
  });

  it('refuses an invitation id already used', () => {
    expect(refusal(() => when(invited, invite('other@acme.test')))).toBe(TeamErrorCode.InvitationExists);
  });

  it('accepts with the right token before expiry: the invitee joins with the invited role', () => {
    const events = when(invited, accept('2026-11-28T09:59:59.000Z'));
    expect(events.map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined']);
    expect(given(workspaceAggregate, [...invited, ...events])).toMatchObject({
      members: { 'u-new': { role: 'member', email: 'new@acme.test' } },
    });
  });

  it('a new person joins with the name they gave, which starts their profile, in the same decision', () => {
    const at = '2026-11-22T10:00:00.000Z';
    const newcomer = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new', newUser: { name: 'New Comer' } }, 'u-new', at);
    const events = when(invited, newcomer);
    expect(events.map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined', 'UserProfileUpdated']);
    expect(events[2]).toEqual({
      type: 'UserProfileUpdated',
      data: { userId: 'u-new', name: 'New Comer', organizationName: null, timeZone: null, customInstructions: null, updatedAt: at },
    });
    // without a name nothing is said about the profile
    const nameless = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new', newUser: {} }, 'u-new', at);
    expect(when(invited, nameless).map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined']);
    // a refused acceptance starts no profile either
    const late = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new', newUser: { name: 'Late' } }, 'u-new', '2026-11-28T10:00:00.000Z');
    expect(refusal(() => when(invited, late))).toBe(TeamErrorCode.InvitationExpired);
  });

  it('an accepted invitation cannot be accepted again', () => {
    const accepted = [...invited, ...when(invited, accept('2026-11-22T10:00:00.000Z'))];
    expect(refusal(() => when(accepted, accept('2026-11-22T11:00:00.000Z', TOKEN, 'u-someone')))).toBe(TeamErrorCode.InvitationAccepted);
  });

  it('an expired invitation cannot be accepted (time comes in on the command)', () => {
    expect(refusal(() => when(invited, accept('2026-11-28T10:00:00.000Z')))).toBe(TeamErrorCode.InvitationExpired);
  });

  it('refuses a wrong token before telling anything else', () => {
    expect(refusal(() => when(invited, accept('2030-01-01T00:00:00.000Z', OTHER_TOKEN)))).toBe(TeamErrorCode.InvalidToken);
  });

  it('refuses someone accepting for another person', () => {
    const forOther = command('AcceptInvitation', { invitationId: 'inv-1', tokenHash: TOKEN, userId: 'u-new' }, 'u-intruder');
    expect(refusal(() => when(invited, forOther))).toBe(TeamErrorCode.Forbidden);
  });

  it('refuses accepting once the person joined another way (MEMBER_EXISTS)', () => {
    const joinedMeanwhile: TeamEvent[] = [
      ...invited,
      { type: 'MemberJoined', data: { ...scope, userId: 'u-x', email: 'new@acme.test', role: 'viewer', via: 'invitation', joinedAt: AT } },
    ];
    expect(refusal(() => when(joinedMeanwhile, accept('2026-11-22T10:00:00.000Z')))).toBe(TeamErrorCode.MemberExists);
  });

  it('an owner invitation gives the invitee an owner seat on acceptance', () => {
    const ownerInvited = [...created, ...when(created, invite('boss@acme.test', 'owner', 'u-owner'))];
    const events = when(ownerInvited, accept('2026-11-22T10:00:00.000Z', TOKEN, 'u-boss'));
    expect(events.map((e) => e.type)).toEqual(['InvitationAccepted', 'MemberJoined', 'OrganizationOwnerAdded']);
  });

  it('revokes a pending invitation; a revoked one can be neither revoked nor accepted', () => {
    const revoked = [...invited, ...when(invited, revoke())];
    expect(given(invitationAggregate, revoked)).toMatchObject({ status: 'revoked' });
    expect(refusal(() => when(revoked, revoke()))).toBe(TeamErrorCode.InvitationRevoked);
    expect(refusal(() => when(revoked, accept('2026-11-22T10:00:00.000Z')))).toBe(TeamErrorCode.InvitationRevoked);
  });

  it('refuses revoking an accepted invitation, or one of another workspace', () => {
    const accepted = [...invited, ...when(invited, accept('2026-11-22T10:00:00.000Z'))];
    expect(refusal(() => when(accepted, revoke()))).toBe(TeamErrorCode.InvitationAccepted);
    const elsewhere = command('RevokeInvitation', { workspaceId: 'ws-other', invitationId: 'inv-1' }, 'u-admin');
    expect(refusal(() => when(invited, elsewhere))).toBe(TeamErrorCode.NotFound);
  });
});
