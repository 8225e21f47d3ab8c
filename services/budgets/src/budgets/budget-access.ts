import type { CommandEnvelope } from '@steward/contracts';
import { TeamAccessErrorCode, refusingAs, type TeamAccess } from '@steward/team-rbac';
import { BudgetError, BudgetErrorCode } from './budget.error';

/** Who may change a workspace's budgets: returns the workspace's organization or throws a BudgetError. */
export type BudgetAuthorizer = (envelope: CommandEnvelope, workspaceId: string) => Promise<string>;

const BUDGET_REFUSALS = { [TeamAccessErrorCode.NotFound]: BudgetErrorCode.NotFound, [TeamAccessErrorCode.Forbidden]: BudgetErrorCode.Forbidden } as const;

/**
 * The gateway's decision made again from the team's own facts (`budgets.write`: owners, admins and
 * billing members of the workspace; never an API key). The system may. A workspace that does not exist,
 * lies in another organization than the envelope's, or where the actor holds nothing is NOT_FOUND.
 */
export function teamBudgetAuthorizer(access: TeamAccess): BudgetAuthorizer {
  return (envelope, workspaceId) =>
    refusingAs(BudgetError, BUDGET_REFUSALS, async () => {
      const organizationId = await access.organizationOf(workspaceId, envelope.organizationId);
      const { actor } = envelope;
      if (actor.type === 'system') return organizationId;
      if (actor.type !== 'user') throw new BudgetError(BudgetErrorCode.Forbidden, `a ${actor.type} may not change budgets`);
      await access.authorize({ actor, workspaceId, action: 'budgets.write', doing: 'change budgets (owner, admin or billing)' });
      return organizationId;
    });
}
