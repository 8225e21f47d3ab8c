import { actionsForScopes, roleCan } from '@steward/auth';
import { TeamStreams } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { apiKeyDecider } from '../../../team-rbac/src/api-keys/api-key.decider';
import { organizationDecider } from '../../../team-rbac/src/organizations/organization.decider';
import { teamStateOf } from '../../../team-rbac/src/shared/team-streams';
import { actorRole } from '../../../team-rbac/src/shared/workspace-scope';
import { workspaceDecider } from '../../../team-rbac/src/workspaces/workspace.decider';
import type { JobAuthorizer } from './job-command.runner';
import { JobError, JobErrorCode } from './job.error';

/**
 * The gateway's decision made again from the team's own events (the matrix of
 * @steward/auth, action `jobs.write`):
 * - Steward's services and the system (internal agents over NATS, the timeout sweeper) may;
 * - an API key when it belongs to the workspace, is not revoked and holds a scope granting jobs.write;
 * - a person when their role in the workspace allows jobs.write.
 * A workspace the actor has no access to is JOB_NOT_FOUND (the tenant wall), a refused role JOB_FORBIDDEN.
 */
export function teamJobAuthorizer(store: EventStore): JobAuthorizer {
  return async (command) => {
    const { actor } = command.envelope;
    const { workspaceId } = command.payload;
    if (actor.type === 'system' || actor.type === 'service') return;
    if (actor.type === 'api_key') {
      const key = (await teamStateOf(store, TeamStreams.apiKey(actor.id), apiKeyDecider)).apiKey;
      if (!key.exists || key.workspaceId !== workspaceId || key.revoked) {
        throw new JobError(JobErrorCode.NotFound, `no workspace ${workspaceId} for API key ${actor.id}`);
      }
      if (!actionsForScopes(key.scopes).includes('jobs.write')) throw new JobError(JobErrorCode.Forbidden, `API key ${actor.id} may not write jobs`);
      return;
    }
    const workspace = (await teamStateOf(store, TeamStreams.workspace(workspaceId), workspaceDecider)).workspace;
    if (!workspace.exists) throw new JobError(JobErrorCode.NotFound, `no workspace ${workspaceId}`);
    const organization = (await teamStateOf(store, TeamStreams.organization(workspace.organizationId), organizationDecider)).organization;
    const role = actorRole(actor, workspace, organization);
    if (role === undefined) throw new JobError(JobErrorCode.NotFound, `no workspace ${workspaceId} for ${actor.id}`);
    if (!roleCan(role, 'jobs.write')) throw new JobError(JobErrorCode.Forbidden, `${actor.id} (${role}) may not write jobs`);
  };
}
