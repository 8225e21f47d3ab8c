/**
 * The notifications context's streams: one per channel (its configuration,
 * subscriptions and signing secrets: `notifications-channel-<channelId>`) and
 * one per logical message (queued once, its attempts, resends and dead letter:
 * `notifications-message-<messageId>`).
 */
export const NotificationStreams = {
  channel: (channelId: string): string => `notifications-channel-${channelId}`,
  message: (messageId: string): string => `notifications-message-${messageId}`,
} as const;

/** Every notifications stream starts with this (the relay's context is `notifications`). */
export const NOTIFICATIONS_STREAM_PREFIX = 'notifications-';
export const NOTIFICATION_CHANNEL_STREAM_PREFIX = 'notifications-channel-';
export const NOTIFICATION_MESSAGE_STREAM_PREFIX = 'notifications-message-';

/** The secret owner of a channel's secrets in @steward/secrets (tenant first). */
export function notificationSecretOwner(organizationId: string, channelId: string): string {
  return `notification-channel:${organizationId}:${channelId}`;
}
