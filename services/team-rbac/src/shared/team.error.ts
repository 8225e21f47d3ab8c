import { CommandError } from '@steward/commands';
import { TeamErrorCode } from '@steward/contracts';

export { TeamErrorCode };

/** A command the team context refuses: a broken invariant, a missing aggregate, a conflict. */
export class TeamError extends CommandError<TeamErrorCode> {
  override readonly name = 'TeamError';
}
