import type { CommandEnvelope } from '@steward/contracts';
import { TeamAccessErrorCode, refusingAs, type TeamAccess } from '@steward/team-rbac';
import { RuntimeError, RuntimeErrorCode } from './runtime.error';

/** Who may send a runtime command: returns the workspace's organization or throws. */
export type RuntimeAuthorizer = (
  envelope: CommandEnvelope,
  workspaceId: string,
  options: { readonly systemOnly: boolean; readonly action: 'runtimes.write' | 'runtimes.test' },
) => Promise<string>;

const RUNTIME_REFUSALS = { [TeamAccessErrorCode.NotFound]: RuntimeErrorCode.NotFound, [TeamAccessErrorCode.Forbidden]: RuntimeErrorCode.Forbidden } as const;

/**
 * The gateway's decision made again by the team's access module (the matrix
 * of @steward/auth: `runtimes.write` for owners and admins only;
 * `runtimes.test` also for members and API keys with the `runtimes:write` scope):
 * - the system may (the connection-test worker records outcomes as the system;
 *   `systemOnly` commands are the system's alone); other services may not;
 * - an API key when it belongs to the workspace, is not revoked and has a scope granting the action;
 * - a person when their role in the workspace allows the action.
 * A workspace that does not exist, lies in another organization than the
 * envelope's, or where the actor holds nothing is NOT_FOUND (the tenant wall);
 * a refused role FORBIDDEN.
 */
export function teamRuntimeAuthorizer(access: TeamAccess): RuntimeAuthorizer {
  return (envelope, workspaceId, { systemOnly, action }) =>
    refusingAs(RuntimeError, RUNTIME_REFUSALS, async () => {
      const organizationId = await access.organizationOf(workspaceId, envelope.organizationId);
      const { actor } = envelope;
      if (actor.type === 'system') return organizationId;
      if (systemOnly) throw new RuntimeError(RuntimeErrorCode.Forbidden, `only Steward itself records test outcomes, not ${actor.type} ${actor.id}`);
      if (actor.type === 'service') throw new RuntimeError(RuntimeErrorCode.Forbidden, `a ${actor.type} may not change runtimes`);
      const doing = action === 'runtimes.test' ? 'test runtimes' : actor.type === 'user' ? 'change runtimes (admin only)' : 'change runtimes';
      await access.authorize({ actor, workspaceId, action, doing });
      return organizationId;
    });
}
