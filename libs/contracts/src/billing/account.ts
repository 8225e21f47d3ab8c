import { z } from 'zod';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { IsoTimeSchema, TeamIdSchema, TimeZoneSchema } from '../team/team-fields';
import { ActorIdSchema, AmountSchema, BillingPeriodSchema, PlanIdSchema } from './billing-fields';

/*
 * The billing account's own events, version 1, in the organization's account
 * stream (BillingStreams.account). The credit ledger's events (credits.ts)
 * share the stream. Every event names its organization.
 */

const org = { organizationId: TeamIdSchema };

/** The account's configuration as a whole (opened with it, replaced by BillingAccountConfigured). */
export const BillingSettingsSchema = z
  .object({
    /** The IANA zone whose calendar months are the billing periods. */
    timeZone: TimeZoneSchema,
    /**
     * Credits the balance may go below zero before the organization's workspaces are suspended;
     * null: the plan's overdraft policy (it follows plan changes).
     */
    overdraftLimit: AmountSchema.nullable(),
    /** Balances (credits) at which LowCreditBalanceReached is raised once per crossing, highest first. */
    lowBalanceThresholds: z.array(AmountSchema).max(10),
  })
  .strict();
export type BillingSettings = z.infer<typeof BillingSettingsSchema>;

/** The organization's billing begins: on its first billing command or its first priced usage. */
export const BillingAccountOpened = defineEvent({
  type: 'BillingAccountOpened',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      planId: PlanIdSchema,
      ...BillingSettingsSchema.shape,
      /** The period open at the account's opening (in `timeZone`). */
      period: BillingPeriodSchema,
      openedBy: ActorIdSchema,
      openedAt: IsoTimeSchema,
    })
    .strict(),
});

export const BillingAccountConfigured = defineEvent({
  type: 'BillingAccountConfigured',
  version: 1,
  context: 'billing',
  schema: z
    .object({ ...org, ...BillingSettingsSchema.shape, configuredBy: ActorIdSchema, configuredAt: IsoTimeSchema })
    .strict(),
});

/** A new billing period (calendar month in the billing time zone) begins for the account. */
export const BillingPeriodStarted = defineEvent({
  type: 'BillingPeriodStarted',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      period: BillingPeriodSchema,
      planId: PlanIdSchema,
      /**
       * The plan's fee for this period, USD, as the catalogue said when the period started: the monthly fee, or
       * for the period an account opened in, its share `remainingDays / periodDays` (the day of opening counts,
       * days of the billing time zone; rounded half-up to the cent), as an upgrade's proration.
       */
      feeUsd: AmountSchema,
      periodStart: IsoTimeSchema,
      periodEnd: IsoTimeSchema,
      startedAt: IsoTimeSchema,
    })
    .strict(),
});

/**
 * The proration of an upgrade: the share of the period left when it took
 * effect, `remainingDays / periodDays` (the day of the change counts as
 * left, days of the billing time zone), applied to the fee and allowance
 * differences. Amounts are exact: USD rounded half-up to the cent, credits to
 * 12 places.
 */
export const PlanProrationSchema = z
  .object({
    remainingDays: z.number().int().min(1).max(31),
    periodDays: z.number().int().min(28).max(31),
    /** (new fee − old fee) × remaining / period: charged on the period's invoice as its own line. */
    feeUsd: AmountSchema,
    /** (new allowance − old allowance) × remaining / period: granted at once as plan allowance. */
    credits: AmountSchema,
  })
  .strict();
export type PlanProration = z.infer<typeof PlanProrationSchema>;

/**
 * The account's plan is another one from `effectiveAt`: an upgrade at once
 * (prorated), a downgrade at the start of a period (as scheduled).
 */
export const PlanChanged = defineEvent({
  type: 'PlanChanged',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      from: PlanIdSchema,
      to: PlanIdSchema,
      direction: z.enum(['upgrade', 'downgrade']),
      period: BillingPeriodSchema,
      effectiveAt: IsoTimeSchema,
      /** Upgrades only. */
      proration: PlanProrationSchema.optional(),
      changedBy: ActorIdSchema,
      changedAt: IsoTimeSchema,
    })
    .strict(),
});

/** A downgrade waits for the next period's start; cancellable until then. */
export const PlanChangeScheduled = defineEvent({
  type: 'PlanChangeScheduled',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...org,
      from: PlanIdSchema,
      to: PlanIdSchema,
      /** The period it takes effect in, and that period's first instant. */
      period: BillingPeriodSchema,
      effectiveAt: IsoTimeSchema,
      scheduledBy: ActorIdSchema,
      scheduledAt: IsoTimeSchema,
    })
    .strict(),
});

export const PlanChangeCancelled = defineEvent({
  type: 'PlanChangeCancelled',
  version: 1,
  context: 'billing',
  schema: z.object({ ...org, to: PlanIdSchema, cancelledBy: ActorIdSchema, cancelledAt: IsoTimeSchema }).strict(),
});

export const BILLING_ACCOUNT_EVENTS = [
  BillingAccountOpened,
  BillingAccountConfigured,
  BillingPeriodStarted,
  PlanChanged,
  PlanChangeScheduled,
  PlanChangeCancelled,
] as const;

export type BillingAccountEvent = DefinedEvent<(typeof BILLING_ACCOUNT_EVENTS)[number]>;
export type BillingAccountOpenedData = z.infer<typeof BillingAccountOpened.schema>;
export type PlanChangedData = z.infer<typeof PlanChanged.schema>;
export type PlanChangeScheduledData = z.infer<typeof PlanChangeScheduled.schema>;

export const billingAccountEventRegistry = new EventRegistry().register(...BILLING_ACCOUNT_EVENTS);
