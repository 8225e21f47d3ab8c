import { UpdateUserProfilePayload, type TeamEvent } from '@steward/contracts';
import { command, given, refusal, AT } from '../shared/decider-testing';
import { TeamErrorCode } from '../shared/team.error';
import { decideUserProfile } from './user-profile.decider';
import { userProfileAggregate } from './user-profile.state';

const update = (payload: Parameters<typeof UpdateUserProfilePayload.parse>[0]) =>
  command('UpdateUserProfile', UpdateUserProfilePayload.parse(payload), 'u-1');

describe('user profile decider', () => {
  it('records the whole profile after the change', () => {
    expect(decideUserProfile(update({ name: 'Ada', timeZone: 'Europe/Paris' }), userProfileAggregate.initial)).toEqual([
      {
        type: 'UserProfileUpdated',
        data: { userId: 'u-1', name: 'Ada', organizationName: null, timeZone: 'Europe/Paris', customInstructions: null, updatedAt: AT },
      },
    ]);
  });

  it('keeps fields left out, clears fields set to null, and records nothing when nothing changes', () => {
    const history: TeamEvent[] = decideUserProfile(update({ name: 'Ada', organizationName: 'Acme' }), userProfileAggregate.initial);
    const state = given(userProfileAggregate, history);
    expect(decideUserProfile(update({ organizationName: null }), state)).toMatchObject([
      { data: { name: 'Ada', organizationName: null } },
    ]);
    expect(decideUserProfile(update({ name: 'Ada' }), state)).toEqual([]);
  });

  it('is for people only', () => {
    const byKey = { ...update({ name: 'Bot' }), actor: { type: 'api_key' as const, id: 'key-1' } };
    expect(refusal(() => decideUserProfile(byKey, userProfileAggregate.initial))).toBe(TeamErrorCode.Forbidden);
  });

  it('validates time zones and the 4,000-character custom instructions at the edge of the command', () => {
    expect(UpdateUserProfilePayload.safeParse({ timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(UpdateUserProfilePayload.safeParse({ timeZone: 'America/New_York' }).success).toBe(true);
    expect(UpdateUserProfilePayload.safeParse({ customInstructions: 'x'.repeat(4000) }).success).toBe(true);
    expect(UpdateUserProfilePayload.safeParse({ customInstructions: 'x'.repeat(4001) }).success).toBe(false);
    expect(UpdateUserProfilePayload.safeParse({ nickname: 'x' }).success).toBe(false);
  });
});
