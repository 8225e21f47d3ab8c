import { z } from 'zod';
import type { CommandAnswer, CommandErrorBody } from '../command';
import { IsoTimeSchema, TeamIdSchema, TimeZoneSchema } from '../team/team-fields';
import { CreditGrantKindSchema, GrantPrioritySchema } from './credits';
import { AmountSchema, GrantIdSchema, LedgerReasonSchema, PlanIdSchema, PositiveAmountSchema } from './billing-fields';

/*
 * The payloads of the billing account's commands (`<prefix>cmd.billing.<Type>`
 * over NATS request/reply, never persisted). Ids of new things (grants,
 * adjustments) are chosen by the caller: a resent command finds them.
 */

/** Upgrade now (prorated) or schedule a downgrade for the next period; the current plan again cancels a scheduled change. */
export const ChangePlanPayload = z.object({ organizationId: TeamIdSchema, planId: PlanIdSchema }).strict();

export const CancelPlanChangePayload = z.object({ organizationId: TeamIdSchema }).strict();

export const GrantCreditsPayload = z
  .object({
    organizationId: TeamIdSchema,
    grantId: GrantIdSchema,
    kind: CreditGrantKindSchema,
    amount: PositiveAmountSchema,
    priority: GrantPrioritySchema.optional(),
    expiresAt: IsoTimeSchema.optional(),
    reason: LedgerReasonSchema,
  })
  .strict();

export const AdjustCreditsPayload = z
  .object({ organizationId: TeamIdSchema, adjustmentId: GrantIdSchema, credits: PositiveAmountSchema, reason: LedgerReasonSchema })
  .strict();

/** Billing Configuration: only the fields given change. */
export const ConfigureBillingPayload = z
  .object({
    organizationId: TeamIdSchema,
    timeZone: TimeZoneSchema.optional(),
    /** null: back to the plan's overdraft policy. */
    overdraftLimit: AmountSchema.nullable().optional(),
    lowBalanceThresholds: z.array(AmountSchema).max(10).optional(),
  })
  .strict();

export const BillingCommandPayloads = {
  ChangePlan: ChangePlanPayload,
  CancelPlanChange: CancelPlanChangePayload,
  GrantCredits: GrantCreditsPayload,
  AdjustCredits: AdjustCreditsPayload,
  ConfigureBilling: ConfigureBillingPayload,
} as const;

export type BillingCommandType = keyof typeof BillingCommandPayloads;
export type BillingCommandPayload<T extends BillingCommandType> = z.output<(typeof BillingCommandPayloads)[T]>;
export type BillingCommandInput<T extends BillingCommandType> = z.input<(typeof BillingCommandPayloads)[T]>;
export type BillingCommandAnswer = CommandAnswer;

/** What the billing service answers when it refuses a command; the gateway maps each code to an HTTP status. */
export enum BillingErrorCode {
  InvalidCommand = 'BILLING_INVALID_COMMAND',
  Forbidden = 'BILLING_FORBIDDEN',
  NotFound = 'BILLING_NOT_FOUND',
  /** No such plan in the catalogue (400, field `planId`). */
  UnknownPlan = 'BILLING_UNKNOWN_PLAN',
  /** No scheduled plan change to cancel (409). */
  NothingScheduled = 'BILLING_NOTHING_SCHEDULED',
  /** A grant or adjustment id already used with other content (409). */
  IdTaken = 'BILLING_ID_TAKEN',
  /** An expiry in the past (400, field `expiresAt`). */
  ExpiryInPast = 'BILLING_EXPIRY_IN_PAST',
  Conflict = 'BILLING_CONFLICT',
  Unavailable = 'BILLING_UNAVAILABLE',
  /**
   * The organization is past its overdraft limit: its workspaces are suspended and new usage ingest is
   * refused (402) until a top-up (the gateway's answer, not a command refusal).
   */
  CreditsExhausted = 'BILLING_CREDITS_EXHAUSTED',
}

export type BillingErrorBody = CommandErrorBody<BillingErrorCode>;

export const BILLING_ERROR_HTTP_STATUS: Readonly<Record<BillingErrorCode, number>> = {
  [BillingErrorCode.InvalidCommand]: 400,
  [BillingErrorCode.Forbidden]: 403,
  [BillingErrorCode.NotFound]: 404,
  [BillingErrorCode.UnknownPlan]: 400,
  [BillingErrorCode.NothingScheduled]: 409,
  [BillingErrorCode.IdTaken]: 409,
  [BillingErrorCode.ExpiryInPast]: 400,
  [BillingErrorCode.Conflict]: 409,
  [BillingErrorCode.Unavailable]: 503,
  [BillingErrorCode.CreditsExhausted]: 402,
};
