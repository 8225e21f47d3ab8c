import { z } from 'zod';
import { nameText, storedText } from '../fields';
import { DecimalStringSchema } from '../usage/usage-fields';

/*
 * The billing context's shared vocabulary. Amounts of credits and USD are
 * exact decimals as text (DecimalStringSchema); a plan is named by its id in
 * the plan catalogue (configuration, see @steward/billing's planCatalogue).
 */

const PLAN_ID = /^[a-z][a-z0-9_-]*$/;
const AMOUNT = /^(0|[1-9]\d{0,14})(\.\d{1,12})?$/;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const GRANT_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.:-]*$/;

// Checked by refinement, not `regex`: the OpenAPI document stays plain (as the vocabulary's client ids).

/** A plan's id in the catalogue: `standard`, `premium`, `enterprise`, or one configured. */
export const PlanIdSchema = z
  .string()
  .min(1)
  .max(40)
  .refine((value) => PLAN_ID.test(value), 'a plan id: lower-case letters, digits, "_" and "-", starting with a letter');
export type PlanId = z.infer<typeof PlanIdSchema>;

/** A non-negative exact decimal of credits or USD, at most 12 decimal places, below 10^15. */
export const AmountSchema = z
  .string()
  .min(1)
  .max(40)
  .refine((value) => AMOUNT.test(value), 'a non-negative exact decimal as text with at most 12 decimal places, e.g. "100" or "12.5"');

/** A positive exact decimal of credits (a grant, an adjustment's size). */
export const PositiveAmountSchema = AmountSchema.refine((value) => !AMOUNT.test(value) || /[1-9]/.test(value), 'must be greater than 0');

/** A signed exact decimal (a consumption that a correction turned negative, a running balance). */
export const SignedAmountSchema = DecimalStringSchema;

/** A billing period: a calendar month `YYYY-MM` in the account's billing time zone. */
export const BillingPeriodSchema = z.string().refine((value) => PERIOD.test(value), 'a month as YYYY-MM');

/** Who asked for a change to the ledger and why (shown on the bank statement). */
export const LedgerReasonSchema = nameText(500);
export const ActorIdSchema = storedText(200);

/** An id of a grant, unique in its organization's ledger. */
export const GrantIdSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => GRANT_ID.test(value), 'a grant id: letters, digits, "_", "-", "." and ":"');
