/**
 * Named types of the console's newer screens (billing settings, budgets and their alerts, notification
 * channels), taken from the generated schema so they follow the API: one definition, /openapi.json.
 */
import type { AnswerOf as Answer, BodyOf as Body } from './generated-types';
import type { paths } from './schema.generated';

/** One plan of GET /v1/billing/plans. */
export type BillingPlan = Answer<'listBillingPlans', 200>['items'][number];
/** Billing Configuration as GET …/billing answers it (`settings`) and PATCH …/billing changes it. */
export type BillingSettings = NonNullable<Answer<'getBilling', 200>['settings']>;
export type CreditAdjustment = Answer<'adjustBillingCredits', 201>;
export type Budget = Answer<'getBudget', 200>;
export type BudgetPeriod = Budget['period'];
export type BudgetEnforcement = Budget['enforcement'];
export type BudgetScope = Budget['scope'];
export type BudgetDefinition = Body<'defineBudget'>;
export type BudgetAlert = Answer<'listBudgetAlerts', 200>['items'][number];
export type NotificationChannel = Answer<'getNotificationChannel', 200>;
export type NotificationChannelKind = NotificationChannel['kind'];
export type NotificationEventType = NotificationChannel['events'][number];
export type NotificationChannelCreation = Body<'createNotificationChannel'>;
export type NotificationChannelChange = Body<'updateNotificationChannel'>;
export type NotificationSecretRotated = Answer<'rotateNotificationChannelSecret', 200>;
export type NotificationMessage = Answer<'getNotificationDelivery', 200>;
export type NotificationAttempt = NotificationMessage['attempts'][number];
export type NotificationStatus = NotificationMessage['status'];
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
  pageCount: number;
}

export type ClientPaths = paths;
