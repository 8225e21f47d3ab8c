import type { LoadedStream } from '@steward/commands';
import { BillingStreams, billingLedgerEventRegistry, type BillingLedgerEvent } from '@steward/contracts';
import type { EventStore, GlobalPosition } from '@steward/event-store';
import { evolveAccount, initialAccountState, type BillingAccountState } from './billing-account.decider';

interface Cached {
  readonly state: BillingAccountState;
  /** The last revision folded (-1n: none). */
  readonly revision: bigint;
  readonly recorded: Map<string, { readonly type: string; readonly revision: bigint; readonly position: GlobalPosition }>;
}

/** Accounts kept folded in memory (least recently used leave first). */
const MAX_CACHED = 2000;

/**
 * Loads billing accounts, folding only what was appended since the last
 * load: an account's stream grows with every consumption batch, and
 * re-reading it whole per decision would make each batch slower than the one
 * before. States are immutable, so a cached one is shared safely; a stale one
 * is harmless — appends name the expected revision, and a conflict reloads.
 * Events of types the ledger does not know (another part of the context
 * writing to the stream) are skipped by the fold but counted for the revision.
 */
export class AccountStreams {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly store: EventStore) {}

  async load(organizationId: string): Promise<LoadedStream<BillingAccountState>> {
    const streamId = BillingStreams.account(organizationId);
    const cached = this.cache.get(streamId);
    let state = cached?.state ?? initialAccountState;
    let revision = cached?.revision ?? -1n;
    // shared and only ever added to: a decision made on an older load finds its own events in it all the same
    const recorded = cached?.recorded ?? new Map<string, { type: string; revision: bigint; position: GlobalPosition }>();
    const fresh = await this.store.readStream(streamId, { fromRevision: revision + 1n });
    for (const event of fresh) {
      // what a resent command is recognised by; consumption batches are not kept (their key is the consumed
      // position the state holds, and a long ledger is mostly consumption: the map stays small)
      if (event.type !== 'CreditsConsumed') recorded.set(event.eventId, { type: event.type, revision: event.streamRevision, position: event.position });
      revision = event.streamRevision;
      if (!billingLedgerEventRegistry.has(event.type)) continue;
      const upcasted = billingLedgerEventRegistry.upcast({ ...event, streamId });
      state = evolveAccount(state, { type: upcasted.type, data: upcasted.data } as BillingLedgerEvent);
    }
    const latest = this.cache.get(streamId);
    if (!latest || latest.revision < revision) {
      this.cache.delete(streamId);
      this.cache.set(streamId, { state, revision, recorded });
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    }
    return { streamId, state, expectedRevision: revision < 0n ? 'no_stream' : revision, recorded };
  }
}
