import { z } from 'zod';
import { nameText, text } from '../fields';
import { resourceIdSchema } from '../ids';
import { SecretReferenceSchema } from '../runtime/runtime-fields';
import { EmailSchema } from '../team/team-fields';

/** Where a channel delivers: a signed webhook (Standard Webhooks), a Slack incoming webhook, or email over SMTP. */
export const NOTIFICATION_CHANNEL_KINDS = ['webhook', 'slack', 'email'] as const;
export const NotificationChannelKindSchema = z.enum(NOTIFICATION_CHANNEL_KINDS);
export type NotificationChannelKind = z.infer<typeof NotificationChannelKindSchema>;

/**
 * The events a channel may subscribe to, by their type name. `BudgetThresholdCrossed` belongs to the
 * budgets context: it is delivered by name, whatever context defines it.
 */
export const NOTIFICATION_EVENT_TYPES = ['BudgetThresholdCrossed', 'LowCreditBalanceReached', 'InvoiceIssued', 'RuntimeTestFailed'] as const;
export const NotificationEventTypeSchema = z.enum(NOTIFICATION_EVENT_TYPES);
export type NotificationEventType = z.infer<typeof NotificationEventTypeSchema>;

/** The type of the message `POST …/notification-channels/{id}/test` sends. */
export const NOTIFICATION_TEST_TYPE = 'NotificationTest';

export const NotificationChannelIdSchema = resourceIdSchema('notificationChannel');
export const NotificationMessageIdSchema = resourceIdSchema('notificationMessage');
export const NotificationChannelNameSchema = nameText(120);

/** A delivery target: http or https (the SSRF guard decides which hosts, at creation and at each delivery). */
export const NotificationUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => !/^[a-z]+:\/\/[^/]*@/i.test(value), 'must not carry credentials (user:password@)');

export const NotificationRecipientsSchema = z.array(EmailSchema).min(1).max(20);
export const NotificationEventTypesSchema = z
  .array(NotificationEventTypeSchema)
  .min(1)
  .max(NOTIFICATION_EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, 'each event type once');

/** A webhook's previous signing secret, still valid (signed with too) until `validUntil`. */
export const PreviousSecretSchema = z.object({ ...SecretReferenceSchema.shape, validUntil: text({ min: 1, max: 40 }) }).strict();
export type PreviousSecret = z.infer<typeof PreviousSecretSchema>;

/** What a delivery attempt ended with. */
export const NOTIFICATION_ATTEMPT_OUTCOMES = ['delivered', 'failed'] as const;
/** Why a message will not be delivered: attempts used up, the endpoint said 410 Gone, the channel went away or off. */
export const NOTIFICATION_DEAD_REASONS = ['attempts_exhausted', 'endpoint_gone', 'channel_disabled', 'channel_deleted'] as const;
