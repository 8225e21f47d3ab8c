import { TeamAccessErrorCode, refusingAs, type TeamAccess } from '@steward/team-rbac';
import type { JobAuthorizer } from './job-command.runner';
import { JobError, JobErrorCode } from './job.error';

const JOB_REFUSALS = { [TeamAccessErrorCode.NotFound]: JobErrorCode.NotFound, [TeamAccessErrorCode.Forbidden]: JobErrorCode.Forbidden } as const;

/**
 * The gateway's decision made again by the team's access module (action `jobs.write`):
 * - Steward's services and the system (internal agents over NATS, the timeout sweeper) may;
 * - an API key when it belongs to the workspace, is not revoked and holds a scope granting jobs.write;
 * - a person when their role in the workspace allows jobs.write.
 * A workspace the actor has no access to is JOB_NOT_FOUND (the tenant wall), a refused role JOB_FORBIDDEN.
 */
export function teamJobAuthorizer(access: TeamAccess): JobAuthorizer {
  return async (command) => {
    const { actor } = command.envelope;
    if (actor.type === 'system' || actor.type === 'service') return;
    await refusingAs(JobError, JOB_REFUSALS, () => access.authorize({ actor, workspaceId: command.payload.workspaceId, action: 'jobs.write', doing: 'write jobs' }));
  };
}
