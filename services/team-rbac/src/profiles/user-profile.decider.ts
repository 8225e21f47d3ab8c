import type { TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import type { UserProfileState } from './user-profile.state';

export type UserProfileCommand = TeamCommand<'UpdateUserProfile'>;

const FIELDS = ['name', 'organizationName', 'timeZone', 'customInstructions'] as const;

/** A person edits their own profile; a field left out keeps its value, `null` clears it. */
export function decideUserProfile(command: UserProfileCommand, state: UserProfileState): TeamEvent[] {
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
