/**
 * Routes of the API that schema.generated.ts does not have yet, in openapi-typescript's shape, so the typed
 * client reaches them: the plan catalogue, manual credit adjustments and voiding an invoice. Delete an entry
 * once the schema is regenerated from /openapi.json (it then holds the route itself).
 */
import type { operations, paths } from './schema.generated';

type ProblemAnswer = { headers: { [name: string]: unknown }; content: { 'application/problem+json': { title?: string; detail?: string; errors?: Array<{ field: string; message: string }> } } };

interface Unused {
  parameters: { query?: never; header?: never; path?: never; cookie?: never };
  get?: never;
  put?: never;
  post?: never;
  delete?: never;
  options?: never;
  head?: never;
  patch?: never;
  trace?: never;
}

/** One plan of GET /v1/billing/plans. */
export interface BillingPlan {
  id: string;
  name: string;
  /** A higher rank is an upgrade. */
  rank: number;
  monthlyFeeUsd: string;
  creditsPerPeriod: string;
  creditsPerUsd: string;
  overdraft: { limit: string };
}

/** Billing Configuration as GET …/billing answers it (`settings`) and PATCH …/billing changes it. */
export interface BillingSettings {
  timeZone: string;
  /** The account's own limit; null: the plan's. */
  overdraftLimit: string | null;
  lowBalanceThresholds: string[];
}

export interface CreditAdjustment {
  adjustmentId: string;
  /** Signed: positive credited, negative debited. */
  amountCredits: string;
  reason: string;
  adjustedBy: string;
  balance: string;
}

type InvoiceView = operations['recordInvoicePayment']['responses'][201]['content']['application/json'];
type IdempotentHeader = { 'Idempotency-Key'?: string };

export interface PendingPaths {
  '/v1/billing/plans': Omit<Unused, 'get'> & {
    get: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: { headers: { [name: string]: unknown }; content: { 'application/json': { defaultPlanId: string; items: BillingPlan[] } } }; 401: ProblemAnswer; 403: ProblemAnswer };
    };
  };
  '/v1/organizations/{orgId}/billing/credits/adjustments': Omit<Unused, 'post'> & {
    post: {
      parameters: { query?: never; header?: IdempotentHeader; path: { orgId: string }; cookie?: never };
      requestBody: { content: { 'application/json': { amountCredits: string; reason: string } } };
      responses: { 201: { headers: { [name: string]: unknown }; content: { 'application/json': CreditAdjustment } }; 400: ProblemAnswer; 403: ProblemAnswer; 404: ProblemAnswer };
    };
  };
  '/v1/organizations/{orgId}/billing/invoices/{id}/void': Omit<Unused, 'post'> & {
    post: {
      parameters: { query?: never; header?: IdempotentHeader; path: { orgId: string; id: string }; cookie?: never };
      requestBody: { content: { 'application/json': { reason: string } } };
      responses: { 200: { headers: { [name: string]: unknown }; content: { 'application/json': InvoiceView & { voidReason?: string | null } } }; 400: ProblemAnswer; 403: ProblemAnswer; 404: ProblemAnswer; 409: ProblemAnswer };
    };
  };
}

/** The generated paths and the pending ones (no path is in both). */
export type ClientPaths = paths & PendingPaths;
