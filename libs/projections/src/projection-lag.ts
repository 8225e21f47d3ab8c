import { type EventFilter, type EventStore, type GlobalPosition } from '@steward/event-store';

export interface ProjectionLag {
  /**
   * Events between the checkpoint and the head. An approximation from global
   * positions (`head.prepare − checkpoint.prepare`), cheap at any size; 0 when
   * no event the projection wants lies after its checkpoint.
   */
  readonly lagEvents: number;
  /** Age of the oldest event the projection has not applied yet; 0 when caught up. */
  readonly lagSeconds: number;
}

/** Two cheap reads: the head position and the first unapplied (matching) event. */
export async function measureLag(
  store: EventStore,
  checkpoint: GlobalPosition,
  filter: EventFilter | undefined,
  now: Date = new Date(),
): Promise<ProjectionLag> {
  const [head, next] = await Promise.all([
    store.headPosition(),
    store.readAll({ from: checkpoint, maxCount: 1, ...(filter ? { filter } : {}) }),
  ]);
  const first = next.events[0];
  if (!first) return { lagEvents: 0, lagSeconds: 0 };
  const distance = head.prepare - checkpoint.prepare;
  return {
    lagEvents: distance > 0n ? Number(distance) : 1,
    lagSeconds: Math.max(0, (now.getTime() - first.recordedAt.getTime()) / 1000),
  };
}
