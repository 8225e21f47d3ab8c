import { z } from 'zod';
import { NotificationChannelKindSchema, NotificationEventTypeSchema } from '@steward/contracts';
import { pageSchema } from '../route-params';

const Time = z.string();

export const NotificationChannelViewSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  /** Only this workspace's events; null: the whole organization's. */
  workspaceId: z.string().nullable(),
  name: z.string(),
  kind: NotificationChannelKindSchema,
  /** A webhook's endpoint; null for Slack (its URL is a secret) and email. */
  url: z.string().nullable(),
  recipients: z.array(z.string()),
  events: z.array(NotificationEventTypeSchema),
  /** `••••abcd` of the signing secret (webhook) or the URL (Slack); never the value. */
  secretHint: z.string().nullable(),
  /** After a rotation: until when the previous signing secret still signs. */
  previousSecretValidUntil: Time.nullable(),
  enabled: z.boolean(),
  /** `endpoint_gone` (the endpoint answered 410) or `manual`. */
  disabledReason: z.string().nullable(),
  disabledAt: Time.nullable(),
  createdBy: z.string(),
  createdAt: Time,
  updatedAt: Time,
});

/** Creation and rotation answer the signing secret once: it is never shown again. */
export const NotificationChannelCreatedSchema = NotificationChannelViewSchema.extend({
  /** A webhook's signing secret, `whsec_…`: shown in this answer only. */
  secret: z.string().optional(),
});

export const NotificationSecretRotatedSchema = z.object({
  id: z.string(),
  /** The new signing secret, `whsec_…`: shown in this answer only. */
  secret: z.string(),
  secretHint: z.string(),
  /** Until when the previous secret still signs (deliveries carry both signatures). */
  previousSecretValidUntil: Time,
});

export const NotificationAttemptViewSchema = z.object({
  round: z.number().int(),
  attempt: z.number().int(),
  outcome: z.enum(['delivered', 'failed']),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
  attemptedAt: Time,
});

export const NotificationMessageViewSchema = z.object({
  /** The message id: a webhook's `webhook-id`, the same on every retry and resend. */
  id: z.string(),
  organizationId: z.string(),
  channelId: z.string(),
  workspaceId: z.string().nullable(),
  kind: NotificationChannelKindSchema,
  eventType: z.string(),
  sourceEventId: z.string().nullable(),
  status: z.enum(['pending', 'retrying', 'delivered', 'dead']),
  round: z.number().int(),
  attemptCount: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastAttemptAt: Time.nullable(),
  deliveredAt: Time.nullable(),
  deadReason: z.string().nullable(),
  deadAt: Time.nullable(),
  queuedAt: Time,
  attempts: z.array(NotificationAttemptViewSchema),
});

export const NotificationChannelPageSchema = pageSchema(NotificationChannelViewSchema);
export const NotificationMessagePageSchema = pageSchema(NotificationMessageViewSchema);
export const NotificationQueuedSchema = z.object({ messageId: z.string(), status: z.literal('pending') });
