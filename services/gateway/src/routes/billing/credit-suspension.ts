import { BillingReadRepository } from '@steward/billing';
import { BillingErrorCode } from '@steward/contracts';
import type { Kysely } from 'kysely';
import { BillingCommandError } from './billing-command.sender';

/**
 * What suspension refuses at the edge: new usage of an organization past its
 * overdraft limit is answered 402 (BILLING_CREDITS_EXHAUSTED, a problem that
 * says why and what to do) until a top-up restores it. Usage accepted before
 * is never dropped: it is recorded, priced and consumed as always. The answer
 * is kept per organization for `ttlMs` (default 1 s): the ingest hot path
 * reads the billing read model at most once a second per organization.
 */
export class CreditSuspensions {
  private readonly reads: BillingReadRepository;
  private readonly known = new Map<string, { suspended: boolean; at: number }>();
  private readonly ttlMs: number;

  constructor(deps: { readonly db: Kysely<unknown>; readonly ttlMs?: number; readonly now?: () => number }) {
    this.reads = new BillingReadRepository(deps.db);
    this.ttlMs = deps.ttlMs ?? 1000;
    this.now = deps.now ?? Date.now;
  }

  private readonly now: () => number;

  async isSuspended(organizationId: string): Promise<boolean> {
    const at = this.now();
    const cached = this.known.get(organizationId);
    if (cached && at - cached.at < this.ttlMs) return cached.suspended;
    const suspended = await this.reads.isSuspended(organizationId);
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(organizationId, { suspended, at });
    return suspended;
  }

  /** Throws the 402 when the organization's credits are exhausted. */
  async assertMayIngest(organizationId: string | undefined): Promise<void> {
    if (organizationId === undefined || !(await this.isSuspended(organizationId))) return;
    throw new BillingCommandError(
      BillingErrorCode.CreditsExhausted,
      'credits exhausted: the organization is past its overdraft limit and its workspaces are suspended; add credits (POST /v1/organizations/{orgId}/billing/credits) to resume. Usage accepted before is recorded.',
    );
  }
}
