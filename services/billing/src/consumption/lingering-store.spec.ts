import type { EventStore, GlobalPosition, RecordedEvent, Subscription, SubscriptionBatch } from '@steward/event-store';
import { lingeringStore } from './lingering-store';

const position = (n: number): GlobalPosition => ({ commit: BigInt(n), prepare: 0n });
const event = (n: number): RecordedEvent =>
  ({ eventId: `e${n}`, type: 'UsageRecorded', version: 1, data: {}, metadata: {}, streamId: 's', streamRevision: BigInt(n), position: position(n), recordedAt: new Date() }) as unknown as RecordedEvent;

/** A store whose subscription hands out `batches`, each after its delay (ms). */
function storeOf(batches: ReadonlyArray<{ events: number[]; checkpoint: number; delayMs: number }>): EventStore {
  const subscription: Subscription = {
    close: async () => undefined,
    async *[Symbol.asyncIterator](): AsyncGenerator<SubscriptionBatch> {
      for (const batch of batches) {
        await new Promise((resolve) => setTimeout(resolve, batch.delayMs));
        yield { events: batch.events.map(event), checkpoint: position(batch.checkpoint), caughtUp: true };
      }
    },
  };
  return { subscribeToAll: () => subscription } as unknown as EventStore;
}

async function collect(store: EventStore): Promise<Array<{ events: string[]; checkpoint: string }>> {
  const out: Array<{ events: string[]; checkpoint: string }> = [];
  for await (const batch of store.subscribeToAll()) out.push({ events: batch.events.map((e) => e.eventId), checkpoint: batch.checkpoint.commit.toString() });
  return out;
}

describe('lingeringStore', () => {
  it('merges the batches that arrive within the linger, in order, with the last checkpoint', async () => {
    const store = lingeringStore(
      storeOf([
        { events: [1, 2], checkpoint: 2, delayMs: 0 },
        { events: [3], checkpoint: 3, delayMs: 5 },
        { events: [], checkpoint: 4, delayMs: 5 },
        { events: [5], checkpoint: 5, delayMs: 5 },
        // well past the linger: a batch of its own (the wide margins hold on a loaded machine's timers)
        { events: [6], checkpoint: 6, delayMs: 2_500 },
      ]),
      { lingerMs: 1_000, maxEvents: 100 },
    );
    expect(await collect(store)).toEqual([
      { events: ['e1', 'e2', 'e3', 'e5'], checkpoint: '5' },
      { events: ['e6'], checkpoint: '6' },
    ]);
  });

  it('hands a batch on at maxEvents without waiting, and a bare checkpoint move at once', async () => {
    const store = lingeringStore(
      storeOf([
        { events: [], checkpoint: 1, delayMs: 0 },
        { events: [2, 3], checkpoint: 3, delayMs: 0 },
        { events: [4, 5], checkpoint: 5, delayMs: 0 },
        { events: [6], checkpoint: 6, delayMs: 0 },
      ]),
      { lingerMs: 10_000, maxEvents: 4 },
    );
    expect(await collect(store)).toEqual([
      { events: [], checkpoint: '1' },
      { events: ['e2', 'e3', 'e4', 'e5'], checkpoint: '5' },
      { events: ['e6'], checkpoint: '6' },
    ]);
  });
});
