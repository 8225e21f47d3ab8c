import { UpdateUserProfilePayload } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { command, AT } from '../shared/team-fixtures';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { userProfileDecider } from './user-profile.decider';

const { given } = deciderSpec(userProfileDecider);

const update = (payload: Parameters<typeof UpdateUserProfilePayload.parse>[0]) =>
  command('UpdateUserProfile', UpdateUserProfilePayload.parse(payload), 'u-1');

describe('user profile decider', () => {
  it('records the whole profile after the change', () => {
    given([])
      .when(update({ name: 'Ada', timeZone: 'Europe/Paris' }))
      .then([
        {
          type: 'UserProfileUpdated',
          data: { userId: 'u-1', name: 'Ada', organizationName: null, timeZone: 'Europe/Paris', customInstructions: null, updatedAt: AT },
        },
      ]);
  });

  it('keeps fields left out, clears fields set to null, and records nothing when nothing changes', () => {
    const history = given([]).when(update({ name: 'Ada', organizationName: 'Acme' })).events();
    given(history)
      .when(update({ organizationName: null }))
      .then((events) => expect(events).toMatchObject([{ data: { name: 'Ada', organizationName: null } }]));
    given(history).when(update({ name: 'Ada' })).thenNothingHappened();
  });

  it('is for people only', () => {
    const byKey = { ...update({ name: 'Bot' }), actor: { type: 'api_key' as const, id: 'key-1' } };
    given([]).when(byKey).thenThrows(TeamError, { code: TeamErrorCode.Forbidden });
  });

  it('validates time zones and the 4,000-character custom instructions at the edge of the command', () => {
    expect(UpdateUserProfilePayload.safeParse({ timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(UpdateUserProfilePayload.safeParse({ timeZone: 'America/New_York' }).success).toBe(true);
    expect(UpdateUserProfilePayload.safeParse({ customInstructions: 'x'.repeat(4000) }).success).toBe(true);
    expect(UpdateUserProfilePayload.safeParse({ customInstructions: 'x'.repeat(4001) }).success).toBe(false);
    expect(UpdateUserProfilePayload.safeParse({ nickname: 'x' }).success).toBe(false);
  });
});
