import { sql, type Kysely, type Transaction } from 'kysely';
import { NOTIFICATIONS_STREAM_PREFIX, type NotificationEvent, type NotificationEventOf } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema } from '@steward/projections';
import type { NotificationsDB } from './notifications.tables';

export const NOTIFICATIONS_PROJECTION = 'notifications';
/** `rm_notifications`: channels, messages, attempts. */
export const NOTIFICATIONS_SCHEMA = projectionSchema(NOTIFICATIONS_PROJECTION);

function dataOf<T extends NotificationEvent['type']>(event: RecordedEvent, _type: T): NotificationEventOf<T>['data'] {
  return event.data as NotificationEventOf<T>['data'];
}
type Trx = Transaction<NotificationsDB>;

/**
 * The notification channels and their delivery log, from the notifications
 * context's events. A message's status: `pending` (queued, no attempt yet),
 * `retrying` (an attempt failed, more to come), `delivered`, `dead` (a dead
 * letter: attempts used up, 410 Gone, or its channel disabled or deleted).
 */
export const notificationsProjection = defineProjection<NotificationsDB>({
  name: NOTIFICATIONS_PROJECTION,
  version: 1,
  streamPrefixes: [NOTIFICATIONS_STREAM_PREFIX],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async migrate(db: Kysely<any>) {
    await db.schema
      .createTable('notification_channels')
      .addColumn('channel_id', 'text', (c) => c.primaryKey())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('url', 'text')
      .addColumn('recipients', 'jsonb', (c) => c.notNull())
      .addColumn('events', 'jsonb', (c) => c.notNull())
      .addColumn('secret_hint', 'text')
      .addColumn('previous_secret_valid_until', 'timestamptz')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('disabled_reason', 'text')
      .addColumn('disabled_at', 'timestamptz')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notification_channels_org').on('notification_channels').columns(['organization_id', 'created_at']).execute();
    await db.schema
      .createTable('notification_messages')
      .addColumn('message_id', 'text', (c) => c.primaryKey())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('source_event_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('round', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_status_code', 'integer')
      .addColumn('last_latency_ms', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('last_attempt_at', 'timestamptz')
      .addColumn('delivered_at', 'timestamptz')
      .addColumn('dead_reason', 'text')
      .addColumn('dead_at', 'timestamptz')
      .addColumn('queued_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notification_messages_channel').on('notification_messages').columns(['organization_id', 'channel_id', 'queued_at']).execute();
    await db.schema.createIndex('notification_messages_status').on('notification_messages').columns(['organization_id', 'status', 'queued_at']).execute();
    await db.schema
      .createTable('notification_attempts')
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('round', 'integer', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('attempted_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('notification_attempts_pk', ['message_id', 'round', 'attempt'])
      .execute();
  },
  handlers: {
    async NotificationChannelCreated(trx: Trx, event) {
      const d = dataOf(event, 'NotificationChannelCreated');
      await trx
        .insertInto('notification_channels')
        .values({
          channel_id: d.channelId,
          organization_id: d.organizationId,
          workspace_id: d.workspaceId,
          name: d.name,
          kind: d.kind,
          url: d.url,
          recipients: JSON.stringify(d.recipients),
          events: JSON.stringify(d.events),
          secret_hint: d.secret?.hint ?? null,
          status: 'enabled',
          created_by: d.createdBy,
          created_at: d.createdAt,
          updated_at: d.createdAt,
        })
        .onConflict((conflict) => conflict.column('channel_id').doNothing())
        .execute();
    },
    async NotificationChannelChanged(trx: Trx, event) {
      const d = dataOf(event, 'NotificationChannelChanged');
      await trx
        .updateTable('notification_channels')
        .set({
          workspace_id: d.workspaceId,
          name: d.name,
          url: d.url,
          recipients: JSON.stringify(d.recipients),
          events: JSON.stringify(d.events),
          secret_hint: d.secret?.hint ?? null,
          status: d.enabled ? 'enabled' : 'disabled',
          ...(d.enabled ? { disabled_reason: null, disabled_at: null } : { disabled_reason: sql<string>`coalesce(disabled_reason, 'manual')`, disabled_at: sql<Date>`coalesce(disabled_at, ${d.changedAt}::timestamptz)` }),
          updated_at: d.changedAt,
        })
        .where('channel_id', '=', d.channelId)
        .execute();
    },
    async NotificationChannelSecretRotated(trx: Trx, event) {
      const d = dataOf(event, 'NotificationChannelSecretRotated');
      await trx
        .updateTable('notification_channels')
        .set({ secret_hint: d.secret.hint, previous_secret_valid_until: d.previous.validUntil, updated_at: d.rotatedAt })
        .where('channel_id', '=', d.channelId)
        .execute();
    },
    async NotificationChannelDisabled(trx: Trx, event) {
      const d = dataOf(event, 'NotificationChannelDisabled');
      await trx
        .updateTable('notification_channels')
        .set({ status: 'disabled', disabled_reason: d.reason, disabled_at: d.disabledAt, updated_at: d.disabledAt })
        .where('channel_id', '=', d.channelId)
        .execute();
    },
    async NotificationChannelDeleted(trx: Trx, event) {
      const d = dataOf(event, 'NotificationChannelDeleted');
      await trx.deleteFrom('notification_channels').where('channel_id', '=', d.channelId).execute();
    },
    async NotificationMessageQueued(trx: Trx, event) {
      const d = dataOf(event, 'NotificationMessageQueued');
      await trx
        .insertInto('notification_messages')
        .values({
          message_id: d.messageId,
          organization_id: d.organizationId,
          channel_id: d.channelId,
          workspace_id: d.workspaceId,
          kind: d.kind,
          event_type: d.payload.type,
          source_event_id: d.sourceEventId,
          status: 'pending',
          round: 0,
          attempts: 0,
          queued_at: d.queuedAt,
        })
        .onConflict((conflict) => conflict.column('message_id').doNothing())
        .execute();
    },
    async NotificationResendRequested(trx: Trx, event) {
      const d = dataOf(event, 'NotificationResendRequested');
      await trx
        .updateTable('notification_messages')
        .set({ status: 'pending', round: d.round, dead_reason: null, dead_at: null, delivered_at: null })
        .where('message_id', '=', d.messageId)
        .execute();
    },
    async NotificationDeliveryAttempted(trx: Trx, event) {
      const d = dataOf(event, 'NotificationDeliveryAttempted');
      const inserted = await trx
        .insertInto('notification_attempts')
        .values({
          message_id: d.messageId,
          round: d.round,
          attempt: d.attempt,
          organization_id: d.organizationId,
          outcome: d.outcome,
          status_code: d.statusCode,
          latency_ms: d.latencyMs,
          error: d.error,
          attempted_at: d.attemptedAt,
        })
        .onConflict((conflict) => conflict.columns(['message_id', 'round', 'attempt']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return;
      const delivered = d.outcome === 'delivered';
      await trx
        .updateTable('notification_messages')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_status_code: d.statusCode,
          last_latency_ms: d.latencyMs,
          last_error: d.error,
          last_attempt_at: d.attemptedAt,
          ...(delivered ? { status: 'delivered' as const, delivered_at: d.attemptedAt } : { status: sql<'retrying'>`CASE WHEN status = 'dead' THEN 'dead' ELSE 'retrying' END` }),
        }))
        .where('message_id', '=', d.messageId)
        .where('round', '=', d.round)
        .execute();
    },
    async NotificationDeadLettered(trx: Trx, event) {
      const d = dataOf(event, 'NotificationDeadLettered');
      await trx
        .updateTable('notification_messages')
        .set({ status: 'dead', dead_reason: d.reason, dead_at: d.deadAt, ...(d.lastError ? { last_error: d.lastError } : {}) })
        .where('message_id', '=', d.messageId)
        .where('round', '=', d.round)
        .execute();
    },
  },
});
