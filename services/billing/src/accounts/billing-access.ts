import { roleCan } from '@steward/auth';
import { BillingErrorCode, type CommandEnvelope } from '@steward/contracts';
import type { TeamAccess, WorkspaceOrganizations } from '@steward/team-rbac';
import { BillingError } from './billing.error';

export type BillingAction = 'billing.read' | 'billing.write';

/** Who may send a billing command for an organization; throws a BillingError when refused. */
export type BillingAuthorizer = (envelope: CommandEnvelope, organizationId: string, action: BillingAction) => Promise<void>;

/**
 * The gateway's decision made again from the team's own facts: billing is an
 * organization's, and a person may act on it when they own the organization
 * or their role in one of its workspaces allows the action (`billing.write`:
 * owner and billing; `billing.read` also admin). The system may; other
 * services and API keys may not. A caller who holds nothing in the
 * organization is NOT_FOUND (the tenant wall), a refused role FORBIDDEN.
 */
export function teamBillingAuthorizer(access: TeamAccess, workspaces: WorkspaceOrganizations): BillingAuthorizer {
  return async (envelope, organizationId, action) => {
    const { actor } = envelope;
    if (envelope.organizationId !== undefined && envelope.organizationId !== organizationId) {
      throw new BillingError(BillingErrorCode.NotFound, `no organization ${organizationId}`);
    }
    if (actor.type === 'system') return;
    if (actor.type !== 'user') throw new BillingError(BillingErrorCode.Forbidden, `a ${actor.type} may not manage billing`);
    let member = false;
    for (const workspaceId of await workspaces.workspacesIn(organizationId)) {
      const role = await access.roleOf(actor.id, workspaceId);
      if (role === undefined) continue;
      member = true;
      if (roleCan(role, action)) return;
    }
    if (!member) throw new BillingError(BillingErrorCode.NotFound, `no organization ${organizationId} for ${actor.id}`);
    throw new BillingError(BillingErrorCode.Forbidden, `${actor.id} may not ${action === 'billing.write' ? 'change billing' : 'read billing'} (owner or billing role)`);
  };
}
