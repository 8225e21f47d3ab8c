import type { EventStore, RecordedEvent, SubscribeOptions, SubscribeToSumsOptions, Subscription, SubscriptionBatch, SumBatch, SumSubscription } from '@steward/event-store';

const TIMEOUT = Symbol('linger timeout');

/**
 * The store as the billing reactors read it: subscription batches are held
 * up to `lingerMs` (or until `maxEvents`) and handed on merged, in order, with
 * the last batch's checkpoint. Each batch the consumption reactor handles
 * appends one CreditsConsumed per organization, and every append wakes every
 * reader of the store: at ingest rates, usage-metering appends many small
 * batches a second, and following each of them would double the store's
 * appends. Merged, an organization's credits move at most about 1000 /
 * `lingerMs` times a second. Nothing is skipped or reordered; a merged batch
 * is applied (and checkpointed) as one.
 */
export function lingeringStore(store: EventStore, options: { readonly lingerMs: number; readonly maxEvents: number }): EventStore {
  const subscribeToAll = (subscribe?: SubscribeOptions): Subscription => {
    const inner = store.subscribeToAll(subscribe);
    return {
      close: () => inner.close(),
      async *[Symbol.asyncIterator](): AsyncGenerator<SubscriptionBatch> {
        const source = inner[Symbol.asyncIterator]();
        let pending: Promise<IteratorResult<SubscriptionBatch>> | undefined;
        let events: RecordedEvent[] = [];
        let last: SubscriptionBatch | undefined;
        let since = 0;
        const merged = (): SubscriptionBatch => {
          const batch = { events, checkpoint: last!.checkpoint, caughtUp: last!.caughtUp };
          events = [];
          last = undefined;
          return batch;
        };
        for (;;) {
          pending ??= source.next();
          let result: IteratorResult<SubscriptionBatch> | typeof TIMEOUT;
          if (last === undefined) result = await pending;
          else {
            const wait = Math.max(0, since + options.lingerMs - Date.now());
            let timer: NodeJS.Timeout | undefined;
            result = await Promise.race([pending, new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), wait)))]);
            clearTimeout(timer);
          }
          if (result === TIMEOUT) {
            yield merged();
            continue;
          }
          pending = undefined;
          if (result.done) {
            if (last !== undefined) yield merged();
            return;
          }
          const batch = result.value;
          // a checkpoint that moved past filtered-out events, with nothing held: on at once
          if (batch.events.length === 0 && last === undefined) {
            yield batch;
            continue;
          }
          if (last === undefined) since = Date.now();
          events = events.length === 0 ? [...batch.events] : events.concat(batch.events);
          last = batch;
          if (events.length >= options.maxEvents || Date.now() - since >= options.lingerMs) yield merged();
        }
      },
    };
  };
  // Sums need no merging: a fold read later simply covers more. Once caught up, the next fold waits until
  // `lingerMs` after the last one began (the subscription is pull-based: nothing is read meanwhile).
  const subscribeToSums = (subscribe: SubscribeToSumsOptions): SumSubscription => {
    const inner = store.subscribeToSums(subscribe);
    let closed = false;
    let wake: (() => void) | undefined;
    return {
      close: () => {
        closed = true;
        wake?.();
        return inner.close();
      },
      async *[Symbol.asyncIterator](): AsyncGenerator<SumBatch> {
        const source = inner[Symbol.asyncIterator]();
        let since = Date.now();
        for (;;) {
          const result = await source.next();
          if (result.done || closed) return;
          yield result.value;
          if (!result.value.caughtUp) continue;
          const wait = since + options.lingerMs - Date.now();
          if (wait > 0 && !closed) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout((wake = resolve), wait);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = undefined;
          }
          since = Date.now();
        }
      },
    };
  };
  return {
    append: (streamId, events, appendOptions) => store.append(streamId, events, appendOptions),
    appendMany: (requests) => store.appendMany(requests),
    appendNew: (requests) => store.appendNew(requests),
    readStream: (streamId, readOptions) => store.readStream(streamId, readOptions),
    readAll: (readOptions) => store.readAll(readOptions),
    subscribeToAll,
    sumAll: (sumOptions) => store.sumAll(sumOptions),
    subscribeToSums,
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
}
