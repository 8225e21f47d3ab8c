import { NotificationStreams, eventIdFor, notificationEventRegistry, type NotificationMessageEvent } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';

/**
 * Appends the system's own facts about a message (queued, attempted, dead) to its stream. Each
 * event's id derives from what it records (`key`): a job run again after a crash, or an event
 * replayed into the reactor, appends nothing twice.
 */
export class MessageLog {
  constructor(private readonly store: EventStore) {}

  async record(event: NotificationMessageEvent, key: string, at: string): Promise<boolean> {
    const data = event.data as { organizationId: string; messageId: string; workspaceId?: string | null };
    const version = notificationEventRegistry.latestVersion(event.type);
    const result = await this.store.appendNew([
      {
        streamId: NotificationStreams.message(data.messageId),
        events: [
          {
            eventId: eventIdFor(`notifications:${key}`, 0),
            type: event.type,
            version,
            data: notificationEventRegistry.validate(event.type, version, event.data),
            metadata: {
              correlationId: data.messageId,
              causationId: key.slice(0, 200),
              actor: { type: 'system', id: 'notifications' },
              organizationId: data.organizationId,
              ...(data.workspaceId ? { workspaceId: data.workspaceId } : {}),
              occurredAt: at,
            },
          },
        ],
      },
    ]);
    return result.written > 0;
  }
}
