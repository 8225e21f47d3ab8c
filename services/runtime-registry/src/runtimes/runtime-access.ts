import { actionsForScopes, roleCan } from '@steward/auth';
import { TeamStreams, type CommandEnvelope } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { apiKeyDecider } from '../../../team-rbac/src/api-keys/api-key.decider';
import { organizationDecider } from '../../../team-rbac/src/organizations/organization.decider';
import { teamStateOf } from '../../../team-rbac/src/shared/team-streams';
import { actorRole } from '../../../team-rbac/src/shared/workspace-scope';
import { workspaceDecider } from '../../../team-rbac/src/workspaces/workspace.decider';
import { RuntimeError, RuntimeErrorCode } from './runtime.error';

/** Who may send a runtime command: returns the workspace's organization or throws. */
export type RuntimeAuthorizer = (
  envelope: CommandEnvelope,
  workspaceId: string,
  options: { readonly systemOnly: boolean; readonly action: 'runtimes.write' | 'runtimes.test' },
) => Promise<string>;

/**
 * The gateway's decision made again from the team's own events (the matrix
 * of @steward/auth: `runtimes.write` for owners and admins only;
 * `runtimes.test` also for members and API keys with the `runtimes:write` scope):
 * - the system may (the connection-test worker records outcomes as the system;
 *   `systemOnly` commands are the system's alone);
 * - an API key when it belongs to the workspace, is not revoked and has a scope granting runtimes.write;
 * - a person when their role in the workspace allows runtimes.write.
 * A workspace that does not exist, lies in another organization than the
 * envelope's, or where the actor holds nothing is NOT_FOUND (the tenant wall);
 * a refused role FORBIDDEN.
 */
export function teamRuntimeAuthorizer(store: EventStore): RuntimeAuthorizer {
  return async (envelope, workspaceId, { systemOnly, action }) => {
    const workspace = (await teamStateOf(store, TeamStreams.workspace(workspaceId), workspaceDecider)).workspace;
    if (!workspace.exists) throw new RuntimeError(RuntimeErrorCode.NotFound, `no workspace ${workspaceId}`);
    if (envelope.organizationId && envelope.organizationId !== workspace.organizationId) {
      throw new RuntimeError(RuntimeErrorCode.NotFound, `no workspace ${workspaceId} in ${envelope.organizationId}`);
    }
    const { actor } = envelope;
    if (actor.type === 'system') return workspace.organizationId;
    if (systemOnly) throw new RuntimeError(RuntimeErrorCode.Forbidden, `only Steward itself records test outcomes, not ${actor.type} ${actor.id}`);
    if (actor.type === 'api_key') {
      const key = (await teamStateOf(store, TeamStreams.apiKey(actor.id), apiKeyDecider)).apiKey;
      if (!key.exists || key.workspaceId !== workspaceId || key.revoked) {
        throw new RuntimeError(RuntimeErrorCode.NotFound, `no workspace ${workspaceId} for API key ${actor.id}`);
      }
      if (!actionsForScopes(key.scopes).includes(action)) {
        throw new RuntimeError(RuntimeErrorCode.Forbidden, `API key ${actor.id} may not ${action === 'runtimes.test' ? 'test' : 'change'} runtimes`);
      }
      return workspace.organizationId;
    }
    if (actor.type !== 'user') throw new RuntimeError(RuntimeErrorCode.Forbidden, `a ${actor.type} may not change runtimes`);
    const organization = (await teamStateOf(store, TeamStreams.organization(workspace.organizationId), organizationDecider)).organization;
    const role = actorRole(actor, workspace, organization);
    if (role === undefined) throw new RuntimeError(RuntimeErrorCode.NotFound, `no workspace ${workspaceId} for ${actor.id}`);
    if (!roleCan(role, action)) throw new RuntimeError(RuntimeErrorCode.Forbidden, `a ${role} may not ${action === 'runtimes.test' ? 'test runtimes' : 'change runtimes (admin only)'}`);
    return workspace.organizationId;
  };
}
