import { CommandError } from '@steward/commands';
import { JobErrorCode } from '@steward/contracts';

export { JobErrorCode };

/** A job command the service refuses: a broken invariant, an unknown job, a conflict. */
export class JobError extends CommandError<JobErrorCode> {
  override readonly name = 'JobError';
}
