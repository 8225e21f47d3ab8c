import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { NotificationChannelKind, NotificationEventType } from '@steward/contracts';

type Time = ColumnType<Date, Date | string, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** One row per channel (deleted channels are removed). Secrets: the masked hint only. */
export interface NotificationChannelsTable {
  channel_id: string;
  organization_id: string;
  workspace_id: string | null;
  name: string;
  kind: NotificationChannelKind;
  url: string | null;
  recipients: ColumnType<string[], string, string>;
  events: ColumnType<NotificationEventType[], string, string>;
  secret_hint: string | null;
  /** After a rotation: until when the previous secret still signs. */
  previous_secret_valid_until: NullableTime;
  status: 'enabled' | 'disabled';
  disabled_reason: Nullable<string>;
  disabled_at: NullableTime;
  created_by: string;
  created_at: Time;
  updated_at: Time;
}

export type NotificationMessageStatus = 'pending' | 'delivered' | 'retrying' | 'dead';

/** One row per logical message: the delivery log's line, with where its attempts stand. */
export interface NotificationMessagesTable {
  message_id: string;
  organization_id: string;
  channel_id: string;
  workspace_id: string | null;
  kind: NotificationChannelKind;
  event_type: string;
  source_event_id: string | null;
  status: NotificationMessageStatus;
  round: number;
  /** Attempts over every round. */
  attempts: number;
  last_status_code: Nullable<number>;
  last_latency_ms: Nullable<number>;
  last_error: Nullable<string>;
  last_attempt_at: NullableTime;
  delivered_at: NullableTime;
  dead_reason: Nullable<string>;
  dead_at: NullableTime;
  queued_at: Time;
}

/** One row per attempt. */
export interface NotificationAttemptsTable {
  message_id: string;
  round: number;
  attempt: number;
  organization_id: string;
  outcome: 'delivered' | 'failed';
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  attempted_at: Time;
}

/** The `notifications` read model (schema `rm_notifications`). */
export interface NotificationsDB {
  notification_channels: NotificationChannelsTable;
  notification_messages: NotificationMessagesTable;
  notification_attempts: NotificationAttemptsTable;
}

export type NotificationChannelRow = Selectable<NotificationChannelsTable>;
export type NewNotificationChannelRow = Insertable<NotificationChannelsTable>;
export type NotificationMessageRow = Selectable<NotificationMessagesTable>;
export type NotificationAttemptRow = Selectable<NotificationAttemptsTable>;
