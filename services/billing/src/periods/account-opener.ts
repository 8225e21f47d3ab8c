import type { BillingCommandRunner } from '../accounts/billing-command.runner';

/**
 * Opens a billing account for an organization created (its plan, its first
 * period and allowance), so that the dashboard's cards have an account to show
 * before the first usage. Run on OrganizationCreated by the billing reactions
 * (suspension.reactor.ts). The command id derives from the event: a batch
 * applied again opens nothing twice, and an account opened meanwhile by its
 * first usage is only brought up to date.
 */
export function accountOpener(deps: { readonly runner: BillingCommandRunner; readonly now?: () => Date }): (organizationId: string, eventId: string) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async (organizationId, eventId) => {
    await deps.runner.decideOn(
      organizationId,
      { commandId: `billing-open:${eventId}`, type: 'OpenBillingAccount', actor: { type: 'system', id: 'billing' }, organizationId, issuedAt: now().toISOString(), payload: {} },
      { type: 'Tick' },
    );
  };
}
