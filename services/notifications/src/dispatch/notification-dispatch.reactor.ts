import { sql, type Kysely, type Transaction } from 'kysely';
import { NOTIFICATION_EVENT_TYPES, derivedId, type NotificationEventOf, type NotificationPayload } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { ProjectionError, ProjectionErrorCode, defineProjection, projectionSchema, type ProjectionDefinition } from '@steward/projections';
import type { DeliveryJob } from '../channels/notification-command.runner';
import type { MessageLog } from '../delivery/message-log';

export const DISPATCH_REACTOR = 'notification-dispatch';
export const DISPATCH_SCHEMA = projectionSchema(DISPATCH_REACTOR);

/** The channels as this reactor has read them so far: who subscribes to what, at each point of the log. */
export interface SubscriptionsTable {
  channel_id: string;
  organization_id: string;
  workspace_id: string | null;
  kind: string;
  events: string[];
  enabled: boolean;
}

interface DispatchDB {
  subscriptions: SubscriptionsTable;
}

/** The message id of (event × channel): the same event replayed for the same channel is the same message. */
export function messageIdFor(eventId: string, channelId: string): string {
  return derivedId('notificationMessage', `${eventId}:${channelId}`);
}

/** The envelope a webhook receives: `{ type, timestamp, data }` (the event's type, when it happened, its data). */
export function payloadOf(event: RecordedEvent): NotificationPayload {
  const timestamp = new Date(event.metadata.occurredAt ?? event.recordedAt).toISOString();
  return { type: event.type, timestamp, data: (event.data ?? {}) as NotificationPayload['data'] };
}

type Handler = (trx: Transaction<DispatchDB>, event: RecordedEvent) => Promise<void>;

/**
 * From events to messages. One reactor reads, in the store's order, both the channels' events (its
 * own table of subscriptions, so a replay sees the subscriptions as they were when the event
 * happened) and the events channels subscribe to — `LowCreditBalanceReached`, `InvoiceIssued`,
 * `RuntimeTestFailed`, `BudgetThresholdCrossed`, by type name. Each (event × enabled channel of the
 * event's organization, of its workspace or organization-wide, subscribed to the type) becomes one
 * message: NotificationMessageQueued with a message id derived from the event and the channel,
 * appended under an event id derived from it, then put on the queue under that id. A batch applied
 * again after a crash appends and enqueues nothing twice. Run by a ProjectionHost in the
 * notifications process.
 */
export function dispatchReactor(deps: { readonly log: MessageLog; readonly enqueue: (job: DeliveryJob) => Promise<void> }): ProjectionDefinition<DispatchDB> {
  const guarded = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      if (error instanceof ProjectionError) throw error;
      throw new ProjectionError(ProjectionErrorCode.NothingApplies, `notification dispatch failed, retrying: ${(error as Error).message}`, {}, { cause: error });
    }
  };

  const dispatch: Handler = async (trx, event) => {
    const scope = event.data as { organizationId?: string; workspaceId?: string | null };
    const organizationId = scope.organizationId ?? event.metadata.organizationId;
    if (!organizationId) return;
    const workspaceId = scope.workspaceId ?? event.metadata.workspaceId ?? null;
    const channels = await trx
      .selectFrom('subscriptions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('enabled', '=', true)
      .where(sql<boolean>`${event.type} = ANY(events)`)
      .where((where) => (workspaceId === null ? where('workspace_id', 'is', null) : where.or([where('workspace_id', 'is', null), where('workspace_id', '=', workspaceId)])))
      .orderBy('channel_id')
      .execute();
    if (channels.length === 0) return;
    const payload = payloadOf(event);
    await guarded(async () => {
      for (const channel of channels) {
        const messageId = messageIdFor(event.eventId, channel.channel_id);
        const queuedAt = payload.timestamp;
        await deps.log.record(
          {
            type: 'NotificationMessageQueued',
            data: { organizationId, channelId: channel.channel_id, messageId, workspaceId, kind: channel.kind as 'webhook', sourceEventId: event.eventId, payload, queuedAt },
          },
          `queued:${messageId}`,
          queuedAt,
        );
        await deps.enqueue({ organizationId, channelId: channel.channel_id, messageId, round: 0 });
      }
    });
  };

  const handlers: Record<string, Handler> = Object.fromEntries(NOTIFICATION_EVENT_TYPES.map((type) => [type, dispatch]));

  return defineProjection<DispatchDB>({
    name: DISPATCH_REACTOR,
    version: 1,
    awaitedByWrites: false,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async migrate(db: Kysely<any>) {
      await db.schema
        .createTable('subscriptions')
        .addColumn('channel_id', 'text', (column) => column.primaryKey())
        .addColumn('organization_id', 'text', (column) => column.notNull())
        .addColumn('workspace_id', 'text')
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('events', sql`text[]`, (column) => column.notNull())
        .addColumn('enabled', 'boolean', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('subscriptions_organization').on('subscriptions').column('organization_id').execute();
    },
    handlers: {
      ...handlers,
      async NotificationChannelCreated(trx, event) {
        const d = event.data as NotificationEventOf<'NotificationChannelCreated'>['data'];
        await trx
          .insertInto('subscriptions')
          .values({ channel_id: d.channelId, organization_id: d.organizationId, workspace_id: d.workspaceId, kind: d.kind, events: [...d.events], enabled: true })
          .onConflict((conflict) => conflict.column('channel_id').doNothing())
          .execute();
      },
      async NotificationChannelChanged(trx, event) {
        const d = event.data as NotificationEventOf<'NotificationChannelChanged'>['data'];
        await trx.updateTable('subscriptions').set({ workspace_id: d.workspaceId, events: [...d.events], enabled: d.enabled }).where('channel_id', '=', d.channelId).execute();
      },
      async NotificationChannelDisabled(trx, event) {
        const d = event.data as NotificationEventOf<'NotificationChannelDisabled'>['data'];
        await trx.updateTable('subscriptions').set({ enabled: false }).where('channel_id', '=', d.channelId).execute();
      },
      async NotificationChannelDeleted(trx, event) {
        const d = event.data as NotificationEventOf<'NotificationChannelDeleted'>['data'];
        await trx.deleteFrom('subscriptions').where('channel_id', '=', d.channelId).execute();
      },
    },
  });
}
