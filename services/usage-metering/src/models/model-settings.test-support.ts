import { randomUUID } from 'node:crypto';
import { TeamStreams } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';

/** A workspace as the team context records it (WorkspaceCreated + members), appended to the real store. */
export async function seedWorkspace(
  store: EventStore,
  members: Record<string, 'owner' | 'admin' | 'billing' | 'member' | 'viewer'>,
): Promise<{ organizationId: string; workspaceId: string }> {
  const organizationId = `org-${randomUUID()}`;
  const workspaceId = `ws-${randomUUID()}`;
  const at = new Date().toISOString();
  const metadata = { correlationId: randomUUID(), actor: { type: 'system' as const, id: 'test' }, occurredAt: at };
  await store.append(
    TeamStreams.workspace(workspaceId),
    [
      {
        eventId: randomUUID(),
        type: 'WorkspaceCreated',
        version: 1,
        data: { organizationId, workspaceId, name: 'Main', status: 'provisioning', createdBy: 'test', createdAt: at },
        metadata,
      },
      ...Object.entries(members).map(([userId, role]) => ({
        eventId: randomUUID(),
        type: 'MemberJoined',
        version: 1,
        data: { organizationId, workspaceId, userId, email: `${userId}@example.com`, role, via: 'invitation' as const, joinedAt: at },
        metadata,
      })),
    ],
    { expectedRevision: 'no_stream' },
  );
  return { organizationId, workspaceId };
}

