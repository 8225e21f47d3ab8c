import { z } from 'zod';
import { InstantSchema, JsonValueSchema, text } from '../fields';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { SecretReferenceSchema } from '../runtime/runtime-fields';
import { TeamIdSchema } from '../team/team-fields';
import {
  NOTIFICATION_ATTEMPT_OUTCOMES,
  NOTIFICATION_DEAD_REASONS,
  NotificationChannelIdSchema,
  NotificationChannelKindSchema,
  NotificationChannelNameSchema,
  NotificationEventTypesSchema,
  NotificationMessageIdSchema,
  PreviousSecretSchema,
} from './notification-fields';

/*
 * The notifications context's events, version 1. Secrets never travel: a
 * webhook's signing secret and a Slack incoming-webhook URL (itself a
 * credential) are a reference in @steward/secrets and a masked hint.
 */

const channel = { organizationId: TeamIdSchema, channelId: NotificationChannelIdSchema };
const actorId = text({ min: 1, max: 200 });

/** The channel's whole configuration, as created or changed. */
const configuration = {
  /** Only events of this workspace (null: every workspace's, and the organization's own events). */
  workspaceId: TeamIdSchema.nullable(),
  name: NotificationChannelNameSchema,
  kind: NotificationChannelKindSchema,
  /** A webhook's endpoint (null for Slack, whose URL is a secret, and email). */
  url: text({ min: 1, max: 2000 }).nullable(),
  /** Email recipients (empty for the others). */
  recipients: z.array(text({ min: 3, max: 320 })).max(20),
  events: NotificationEventTypesSchema,
  /** A webhook's signing secret, or a Slack channel's incoming-webhook URL; null for email. */
  secret: SecretReferenceSchema.nullable(),
};

export const NotificationChannelCreated = defineEvent({
  type: 'NotificationChannelCreated',
  version: 1,
  context: 'notifications',
  schema: z.object({ ...channel, ...configuration, createdBy: actorId, createdAt: InstantSchema }).strict(),
});

/** The channel's configuration now (every field), and whether it is enabled. */
export const NotificationChannelChanged = defineEvent({
  type: 'NotificationChannelChanged',
  version: 1,
  context: 'notifications',
  schema: z.object({ ...channel, ...configuration, enabled: z.boolean(), changedBy: actorId, changedAt: InstantSchema }).strict(),
});

/** A webhook's new signing secret; the one before stays valid until `previous.validUntil` (deliveries are signed with both). */
export const NotificationChannelSecretRotated = defineEvent({
  type: 'NotificationChannelSecretRotated',
  version: 1,
  context: 'notifications',
  schema: z.object({ ...channel, secret: SecretReferenceSchema, previous: PreviousSecretSchema, rotatedBy: actorId, rotatedAt: InstantSchema }).strict(),
});

/** The endpoint answered 410 Gone: nothing more is sent until someone enables the channel again. */
export const NotificationChannelDisabled = defineEvent({
  type: 'NotificationChannelDisabled',
  version: 1,
  context: 'notifications',
  schema: z
    .object({ ...channel, reason: z.enum(['endpoint_gone']), statusCode: z.number().int().min(100).max(599), messageId: NotificationMessageIdSchema, disabledAt: InstantSchema })
    .strict(),
});

/** The channel is gone, and its secrets with it. */
export const NotificationChannelDeleted = defineEvent({
  type: 'NotificationChannelDeleted',
  version: 1,
  context: 'notifications',
  schema: z.object({ ...channel, name: NotificationChannelNameSchema, deletedBy: actorId, deletedAt: InstantSchema }).strict(),
});

const message = { ...channel, messageId: NotificationMessageIdSchema };

/** The stable JSON envelope a webhook receives (and Slack and email render): `{ type, timestamp, data }`. */
export const NotificationPayloadSchema = z.object({ type: text({ min: 1, max: 100 }), timestamp: InstantSchema, data: z.record(z.string(), JsonValueSchema) }).strict();
export type NotificationPayload = z.infer<typeof NotificationPayloadSchema>;

/** One logical message: one event for one subscribed channel (or a test). Its id is the webhook-id. */
export const NotificationMessageQueued = defineEvent({
  type: 'NotificationMessageQueued',
  version: 1,
  context: 'notifications',
  schema: z
    .object({
      ...message,
      workspaceId: TeamIdSchema.nullable(),
      kind: NotificationChannelKindSchema,
      /** The event that caused it (null for a test message). */
      sourceEventId: text({ min: 1, max: 100 }).nullable(),
      payload: NotificationPayloadSchema,
      queuedAt: InstantSchema,
    })
    .strict(),
});

/** Someone asked for the message to be sent again: a new round of attempts (`round` counts from 1 for the first resend). */
export const NotificationResendRequested = defineEvent({
  type: 'NotificationResendRequested',
  version: 1,
  context: 'notifications',
  schema: z.object({ ...message, round: z.number().int().min(1).max(1000), requestedBy: actorId, requestedAt: InstantSchema }).strict(),
});

/** One delivery attempt: what came back, how long it took. */
export const NotificationDeliveryAttempted = defineEvent({
  type: 'NotificationDeliveryAttempted',
  version: 1,
  context: 'notifications',
  schema: z
    .object({
      ...message,
      round: z.number().int().min(0).max(1000),
      attempt: z.number().int().min(1).max(100),
      outcome: z.enum(NOTIFICATION_ATTEMPT_OUTCOMES),
      statusCode: z.number().int().min(100).max(599).nullable(),
      latencyMs: z.number().int().min(0),
      /** Why it failed, in words (never a secret); null when delivered. */
      error: text({ max: 1000 }).nullable(),
      attemptedAt: InstantSchema,
    })
    .strict(),
});

/** The message will not be delivered (this round): a dead letter, visible to ops and resendable. */
export const NotificationDeadLettered = defineEvent({
  type: 'NotificationDeadLettered',
  version: 1,
  context: 'notifications',
  schema: z
    .object({
      ...message,
      round: z.number().int().min(0).max(1000),
      reason: z.enum(NOTIFICATION_DEAD_REASONS),
      attempts: z.number().int().min(0).max(100),
      lastError: text({ max: 1000 }).nullable(),
      deadAt: InstantSchema,
    })
    .strict(),
});

export const NOTIFICATION_CHANNEL_EVENTS = [
  NotificationChannelCreated,
  NotificationChannelChanged,
  NotificationChannelSecretRotated,
  NotificationChannelDisabled,
  NotificationChannelDeleted,
] as const;
export const NOTIFICATION_MESSAGE_EVENTS = [NotificationMessageQueued, NotificationResendRequested, NotificationDeliveryAttempted, NotificationDeadLettered] as const;
export const NOTIFICATION_EVENTS = [...NOTIFICATION_CHANNEL_EVENTS, ...NOTIFICATION_MESSAGE_EVENTS] as const;

export type NotificationChannelEvent = DefinedEvent<(typeof NOTIFICATION_CHANNEL_EVENTS)[number]>;
export type NotificationMessageEvent = DefinedEvent<(typeof NOTIFICATION_MESSAGE_EVENTS)[number]>;
export type NotificationEvent = DefinedEvent<(typeof NOTIFICATION_EVENTS)[number]>;
export type NotificationEventOf<T extends NotificationEvent['type']> = Extract<NotificationEvent, { type: T }>;

export const notificationEventRegistry = new EventRegistry().register(...NOTIFICATION_EVENTS);
