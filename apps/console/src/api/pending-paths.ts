/**
 * Routes of the API that schema.generated.ts does not have yet, in openapi-typescript's shape, so the typed
 * client reaches them: the plan catalogue, manual credit adjustments, voiding an invoice, budgets and their
 * alerts, notification channels with their delivery log. Delete an entry
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

/** A budget as GET/POST/PATCH …/budgets answer it: its current period's spend and what is left, exact USD. */
export interface Budget {
  id: string;
  organizationId: string;
  workspaceId: string;
  name: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  timeZone: string;
  limitUsd: string;
  thresholds: number[];
  enforcement: BudgetEnforcement;
  definedBy: string;
  definedAt: string;
  updatedAt: string;
  current: { period: { start: string; end: string; label: string }; spendUsd: string; remainingUsd: string };
}
export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';
export type BudgetEnforcement = 'notify' | 'block';
export interface BudgetScope {
  agent?: string;
  provider?: string;
  model?: string;
  apiKeyId?: string;
}
export interface BudgetDefinition {
  name: string;
  scope?: BudgetScope;
  period: BudgetPeriod;
  limitUsd: string;
  thresholds?: number[];
  enforcement?: BudgetEnforcement;
  timeZone?: string;
}

/** One alert of GET /v1/budget-alerts: a threshold crossed, or the organization's credits running low. */
export interface BudgetAlert {
  id: string;
  type: 'budget_threshold' | 'low_credit_balance';
  message: string;
  workspaceId: string | null;
  budget: { id: string; name: string } | null;
  thresholdPercent: number | null;
  threshold: string | null;
  spendUsd: string | null;
  limitUsd: string | null;
  balance: string | null;
  period: string | null;
  enforcement: BudgetEnforcement | null;
  timestamp: string;
}

export type NotificationChannelKind = 'webhook' | 'slack' | 'email';
export type NotificationEventType = 'BudgetThresholdCrossed' | 'LowCreditBalanceReached' | 'InvoiceIssued' | 'RuntimeTestFailed';

export interface NotificationChannel {
  id: string;
  organizationId: string;
  workspaceId: string | null;
  name: string;
  kind: NotificationChannelKind;
  url: string | null;
  recipients: string[];
  events: NotificationEventType[];
  secretHint: string | null;
  previousSecretValidUntil: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}
export interface NotificationChannelCreation {
  name: string;
  kind: NotificationChannelKind;
  url?: string;
  recipients?: string[];
  events: NotificationEventType[];
  workspaceId?: string;
}
export interface NotificationChannelChange {
  name?: string;
  url?: string;
  recipients?: string[];
  events?: NotificationEventType[];
  workspaceId?: string | null;
  enabled?: boolean;
}
export interface NotificationSecretRotated {
  id: string;
  secret: string;
  secretHint: string;
  previousSecretValidUntil: string;
}
export interface NotificationAttempt {
  round: number;
  attempt: number;
  outcome: 'delivered' | 'failed';
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  attemptedAt: string;
}
export type NotificationStatus = 'pending' | 'retrying' | 'delivered' | 'dead';
export interface NotificationMessage {
  id: string;
  organizationId: string;
  channelId: string;
  workspaceId: string | null;
  kind: NotificationChannelKind;
  eventType: string;
  sourceEventId: string | null;
  status: NotificationStatus;
  round: number;
  attemptCount: number;
  lastStatusCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  deadReason: string | null;
  deadAt: string | null;
  queuedAt: string;
  attempts: NotificationAttempt[];
}
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
  pageCount: number;
}
type Queued = { messageId: string; status: 'pending' };

type Json<T> = { headers: { [name: string]: unknown }; content: { 'application/json': T } };
type NoContent = { headers: { [name: string]: unknown }; content?: never };
type Params<Path, Query = never> = { query?: Query; header?: IdempotentHeader; path: Path; cookie?: never };
type Problems = { 400: ProblemAnswer; 401: ProblemAnswer; 403: ProblemAnswer; 404: ProblemAnswer; 409: ProblemAnswer };
type Get<Path, Query, T> = { parameters: Params<Path, Query>; requestBody?: never; responses: { 200: Json<T> } & Problems };
type Send<Path, Body, Status extends number, T> = { parameters: Params<Path>; requestBody: { content: { 'application/json': Body } }; responses: { [S in Status]: Json<T> } & Problems };
type Remove<Path> = { parameters: Params<Path>; requestBody?: never; responses: { 204: NoContent } & Problems };
type PageQuery = { page?: number; pageSize?: number };
type WsPath = { wsId: string };
type OrgPath = { orgId: string };
type Empty = Record<string, never>;

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
  '/v1/workspaces/{wsId}/budgets': Omit<Unused, 'get' | 'post'> & {
    get: Get<WsPath, PageQuery, Page<Budget>>;
    post: Send<WsPath, BudgetDefinition, 201, Budget>;
  };
  '/v1/workspaces/{wsId}/budgets/{id}': Omit<Unused, 'get' | 'patch' | 'delete'> & {
    get: Get<WsPath & { id: string }, never, Budget>;
    patch: Send<WsPath & { id: string }, Partial<BudgetDefinition>, 200, Budget>;
    delete: Remove<WsPath & { id: string }>;
  };
  '/v1/budget-alerts': Omit<Unused, 'get'> & {
    get: {
      parameters: { query: { workspaceId: string; organizationId?: string; period?: '7d' | '30d' | '90d' | 'custom'; from?: string; to?: string } & PageQuery; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: Json<Page<BudgetAlert> & { from: string; to: string; workspaceIds: string[] }> } & Problems;
    };
  };
  '/v1/organizations/{orgId}/notification-channels': Omit<Unused, 'get' | 'post'> & {
    get: Get<OrgPath, PageQuery, Page<NotificationChannel>>;
    post: Send<OrgPath, NotificationChannelCreation, 201, NotificationChannel & { secret?: string }>;
  };
  '/v1/organizations/{orgId}/notification-channels/{id}': Omit<Unused, 'get' | 'patch' | 'delete'> & {
    get: Get<OrgPath & { id: string }, never, NotificationChannel>;
    patch: Send<OrgPath & { id: string }, NotificationChannelChange, 200, NotificationChannel>;
    delete: Remove<OrgPath & { id: string }>;
  };
  '/v1/organizations/{orgId}/notification-channels/{id}/rotate-secret': Omit<Unused, 'post'> & {
    post: Send<OrgPath & { id: string }, Empty, 200, NotificationSecretRotated>;
  };
  '/v1/organizations/{orgId}/notification-channels/{id}/test': Omit<Unused, 'post'> & {
    post: Send<OrgPath & { id: string }, Empty, 202, Queued>;
  };
  '/v1/organizations/{orgId}/notification-channels/{id}/deliveries': Omit<Unused, 'get'> & {
    get: Get<OrgPath & { id: string }, PageQuery & { status?: NotificationStatus }, Page<NotificationMessage>>;
  };
  '/v1/organizations/{orgId}/notification-deliveries': Omit<Unused, 'get'> & {
    get: Get<OrgPath, PageQuery & { status?: NotificationStatus }, Page<NotificationMessage>>;
  };
  '/v1/organizations/{orgId}/notification-deliveries/{messageId}/resend': Omit<Unused, 'post'> & {
    post: Send<OrgPath & { messageId: string }, Empty, 202, Queued>;
  };
}

/** The generated paths and the pending ones (no path is in both). */
export type ClientPaths = paths & PendingPaths;
