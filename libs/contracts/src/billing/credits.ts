import { z } from 'zod';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { IsoTimeSchema, TeamIdSchema } from '../team/team-fields';
import { BILLING_ACCOUNT_EVENTS } from './account';
import { ActorIdSchema, AmountSchema, BillingPeriodSchema, GrantIdSchema, LedgerReasonSchema, PositiveAmountSchema, SignedAmountSchema } from './billing-fields';

/*
 * The credit ledger, version 1, append-only, in the account stream. Nothing
 * stores a balance: a grant's remainder is its amount less what draws and its
 * expiry took, the balance is Σ remainders − the overdraft in use. Grants are
 * drawn by priority (lower first), then earliest expiry (none last), then
 * oldest: each debit names its draws.
 */

const org = { organizationId: TeamIdSchema };

export const CREDIT_GRANT_KINDS = ['purchase', 'plan_allowance', 'promotional', 'manual_adjustment'] as const;
export const CreditGrantKindSchema = z.enum(CREDIT_GRANT_KINDS);
export type CreditGrantKind = z.infer<typeof CreditGrantKindSchema>;

/** Lower is drawn first. */
export const GrantPrioritySchema = z.number().int().min(0).max(1000);

/** What a debit (or a refund: negative) took from one grant. */
export const CreditDrawSchema = z.object({ grantId: GrantIdSchema, credits: SignedAmountSchema }).strict();
export type CreditDraw = z.infer<typeof CreditDrawSchema>;

export const CreditsGranted = defineEvent({
  type: 'CreditsGranted',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      /** Unique in the ledger: a plan allowance is `plan:<period>` (granted once per period, whatever retries). */
      grantId: GrantIdSchema,
      kind: CreditGrantKindSchema,
      amount: PositiveAmountSchema,
      priority: GrantPrioritySchema,
      expiresAt: IsoTimeSchema.optional(),
      /** The overdraft this grant paid back first (the rest is its remainder). */
      repaid: AmountSchema,
      /** Who granted (a user id, `system`, a payment provider) and why: shown on the statement. */
      grantedBy: ActorIdSchema,
      reason: LedgerReasonSchema,
      grantedAt: IsoTimeSchema,
    })
    .strict(),
});

/**
 * Priced usage turned into credits: one batch per organization, covering its
 * UsageRecorded / UsageCorrected events from `source.first` to `source.last`
 * (global positions, `commit/prepare`). The range is the idempotency key: the
 * consumption reactor skips every usage event at or before the account's
 * last consumed position, so a batch is never counted twice, whatever restarts.
 * `credits` = `usd` × `creditsPerUsd`, exact; negative when corrections lowered
 * costs (a refund: draws are returned, the overdraft paid back first).
 */
export const CreditsConsumed = defineEvent({
  type: 'CreditsConsumed',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      source: z
        .object({
          first: z.string().regex(/^\d+\/\d+$/),
          last: z.string().regex(/^\d+\/\d+$/),
          events: z.number().int().min(1),
        })
        .strict(),
      usd: SignedAmountSchema,
      creditsPerUsd: AmountSchema,
      credits: SignedAmountSchema,
      draws: z.array(CreditDrawSchema),
      /** Credits taken beyond every grant (negative: overdraft paid back by a refund). */
      overdraft: SignedAmountSchema,
      consumedAt: IsoTimeSchema,
      /**
       * The billing period (account's zone) of the calls it consumes: invoices apply its credits to that
       * period's invoice. Absent on events recorded before it existed: the period of `consumedAt`.
       */
      usagePeriod: BillingPeriodSchema.optional(),
    })
    .strict(),
});

/** What was left of a grant at its expiry. */
export const CreditsExpired = defineEvent({
  type: 'CreditsExpired',
  version: 1,
  context: 'billing',
  schema: z.object({ ...org, grantId: GrantIdSchema, credits: AmountSchema, expiredAt: IsoTimeSchema }).strict(),
});

/**
 * A manual debit (a correction of what was granted in error), drawn like
 * consumption. A manual credit is a CreditsGranted of kind manual_adjustment.
 */
export const CreditsAdjusted = defineEvent({
  type: 'CreditsAdjusted',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      adjustmentId: GrantIdSchema,
      credits: PositiveAmountSchema,
      draws: z.array(CreditDrawSchema),
      overdraft: AmountSchema,
      adjustedBy: ActorIdSchema,
      reason: LedgerReasonSchema,
      adjustedAt: IsoTimeSchema,
    })
    .strict(),
});

/** The balance fell to or below `threshold`; raised again only after a top-up lifts it above. */
export const LowCreditBalanceReached = defineEvent({
  type: 'LowCreditBalanceReached',
  version: 1,
  context: 'billing',
  schema: z.object({ ...org, threshold: AmountSchema, balance: SignedAmountSchema, reachedAt: IsoTimeSchema }).strict(),
});

/** The balance went past the overdraft limit: the organization's workspaces are suspended (reason credits_exhausted). */
export const CreditsExhausted = defineEvent({
  type: 'CreditsExhausted',
  version: 1,
  context: 'billing',
  schema: z.object({ ...org, balance: SignedAmountSchema, overdraftLimit: AmountSchema, exhaustedAt: IsoTimeSchema }).strict(),
});

/** A top-up (or a raised limit) brought the balance back within the overdraft limit: the workspaces are restored. */
export const CreditsRestored = defineEvent({
  type: 'CreditsRestored',
  version: 1,
  context: 'billing',
  schema: z.object({ ...org, balance: SignedAmountSchema, restoredAt: IsoTimeSchema }).strict(),
});

export const BILLING_CREDIT_EVENTS = [
  CreditsGranted,
  CreditsConsumed,
  CreditsExpired,
  CreditsAdjusted,
  LowCreditBalanceReached,
  CreditsExhausted,
  CreditsRestored,
] as const;

export type CreditEvent = DefinedEvent<(typeof BILLING_CREDIT_EVENTS)[number]>;
export type CreditsGrantedData = z.infer<typeof CreditsGranted.schema>;
export type CreditsConsumedData = z.infer<typeof CreditsConsumed.schema>;
export type CreditsExpiredData = z.infer<typeof CreditsExpired.schema>;
export type CreditsAdjustedData = z.infer<typeof CreditsAdjusted.schema>;

/** The account stream's events: the account's and the ledger's. */
export const BILLING_LEDGER_EVENTS = [...BILLING_ACCOUNT_EVENTS, ...BILLING_CREDIT_EVENTS] as const;
export type BillingLedgerEvent = DefinedEvent<(typeof BILLING_LEDGER_EVENTS)[number]>;
export type BillingLedgerEventType = BillingLedgerEvent['type'];

export const billingLedgerEventRegistry = new EventRegistry().register(...BILLING_LEDGER_EVENTS);
