import type { TeamEventOf } from '@steward/contracts';
import type { Aggregate } from '../shared/command';

export interface UserProfileState {
  readonly name: string | null;
  readonly organizationName: string | null;
  readonly timeZone: string | null;
  readonly customInstructions: string | null;
}

export const initialUserProfileState: UserProfileState = {
  name: null,
  organizationName: null,
  timeZone: null,
  customInstructions: null,
};

export type UserProfileEvent = TeamEventOf<'UserProfileUpdated'>;

export const USER_PROFILE_EVENT_TYPES: ReadonlySet<string> = new Set<UserProfileEvent['type']>(['UserProfileUpdated']);

export function evolveUserProfile(_state: UserProfileState, event: UserProfileEvent): UserProfileState {
  switch (event.type) {
    case 'UserProfileUpdated': {
      const { name, organizationName, timeZone, customInstructions } = event.data;
      return { name, organizationName, timeZone, customInstructions };
    }
    default: {
      const _exhaustive: never = event.type;
      return _exhaustive;
    }
  }
}

export const userProfileAggregate: Aggregate<UserProfileState, UserProfileEvent> = {
  initial: initialUserProfileState,
  types: USER_PROFILE_EVENT_TYPES,
  evolve: evolveUserProfile,
};
