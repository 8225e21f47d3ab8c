import type { Decider } from '@steward/commands';
import type { TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';

export interface UserProfileState {
  readonly name: string | null;
  readonly organizationName: string | null;
  readonly timeZone: string | null;
  readonly customInstructions: string | null;
}

const initialState: UserProfileState = {
  name: null,
  organizationName: null,
  timeZone: null,
  customInstructions: null,
};

/** A person's profile stream folded (the events of other aggregates leave it as it is). */
function evolve(state: UserProfileState, event: TeamEvent): UserProfileState {
  switch (event.type) {
    case 'UserProfileUpdated': {
      const { name, organizationName, timeZone, customInstructions } = event.data;
      return { name, organizationName, timeZone, customInstructions };
    }
    default:
      return state;
  }
}


export type UserProfileCommand = TeamCommand<'UpdateUserProfile'>;

const FIELDS = ['name', 'organizationName', 'timeZone', 'customInstructions'] as const;

/** A person edits their own profile; a field left out keeps its value, `null` clears it. */
function decide(command: UserProfileCommand, state: UserProfileState): TeamEvent[] {
  switch (command.type) {
    case 'UpdateUserProfile': {
      if (command.actor.type !== 'user') throw new TeamError(TeamErrorCode.Forbidden, 'only a person has a profile');
      const next: { -readonly [K in keyof UserProfileState]: UserProfileState[K] } = { ...state };
      for (const field of FIELDS) {
        const value = command.payload[field];
        if (value !== undefined) next[field] = value;
      }
      if (FIELDS.every((field) => next[field] === state[field])) return [];
      return [{ type: 'UserProfileUpdated', data: { userId: command.actor.id, ...next, updatedAt: command.at } }];
    }
    default: {
      const _exhaustive: never = command.type;
      throw new Error(`unknown command ${String(_exhaustive)}`);
    }
  }
}

/** A person's own profile: its stream is `TeamStreams.user(userId)`. */
export const userProfileDecider: Decider<UserProfileCommand, UserProfileState, TeamEvent> = { decide, evolve, initialState };
