import { defineProjection, ProjectionError, ProjectionErrorCode, type ProjectionDefinition } from '@steward/projections';
import type { BillingCommandRunner } from '../accounts/billing-command.runner';

export const ACCOUNT_OPENER_REACTOR = 'billing-accounts';

/**
 * Opens a billing account for every organization created (its plan, its
 * first period and allowance), so that the dashboard's cards have an account
 * to show before the first usage. The command id derives from the
 * OrganizationCreated event: a batch applied again opens nothing twice, and an
 * account opened meanwhile by its first usage is only brought up to date.
 */
export function accountOpenerReactor(deps: { readonly runner: BillingCommandRunner; readonly now?: () => Date }): ProjectionDefinition {
  const now = deps.now ?? (() => new Date());
  return defineProjection({
    name: ACCOUNT_OPENER_REACTOR,
    version: 1,
    streamPrefixes: ['team-organization-'],
    awaitedByWrites: false,
    async migrate() {
      // no table: the account streams are its record
    },
    handlers: {
      async OrganizationCreated(_trx, event) {
        const { organizationId } = event.data as { organizationId: string };
        try {
          await deps.runner.decideOn(
            organizationId,
            { commandId: `billing-open:${event.eventId}`, type: 'OpenBillingAccount', actor: { type: 'system', id: 'billing' }, organizationId, issuedAt: now().toISOString(), payload: {} },
            { type: 'Tick' },
          );
        } catch (error) {
          throw new ProjectionError(ProjectionErrorCode.NothingApplies, `opening the billing account of ${organizationId} failed, retrying`, {}, { cause: error });
        }
      },
    },
  });
}
