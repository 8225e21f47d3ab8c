import { UsageStreams } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { WorkspacePrice, WorkspacePriceLookup, WorkspacePriceSnapshot } from '@steward/usage-metering';
import { loadModelSettings } from './model-settings.command-service';
import { findModel, priceAt, type ModelSettingsState } from './model-settings.decider';

export interface ModelSettingsPriceLookupOptions {
  readonly store: EventStore;
  /** Workspaces whose folded settings are kept (least recently used dropped first). Default 1,000. */
  readonly maxCachedWorkspaces?: number;
}

/**
 * The workspace's own price for a model at a time, from its ModelSettings
 * stream in the event store (implements usage-metering's
 * `WorkspacePriceLookup`): the price with the latest effective-from not after
 * `at`; `ref` is that effective-from (ISO), which UsageRecorded's pricing
 * carries for traceability.
 *
 * Strongly consistent: every lookup reads the stream's last revision (one
 * indexed row); the folded settings are cached per workspace by that revision
 * and refolded only when the stream moved, so a price set a moment ago is the
 * price used now.
 */
export class ModelSettingsPriceLookup implements WorkspacePriceLookup {
  private readonly cache = new Map<string, { readonly revision: bigint; readonly state: ModelSettingsState }>();
  private readonly maxCached: number;

  constructor(private readonly options: ModelSettingsPriceLookupOptions) {
    this.maxCached = options.maxCachedWorkspaces ?? 1_000;
  }

  async find(workspaceId: string, provider: string, model: string, at: Date): Promise<WorkspacePrice | undefined> {
    return workspacePrice(await this.settings(workspaceId), provider, model, at);
  }

  /** The workspace's prices read once (one revision check), answering many calls without I/O: `Pricer.priceMany`. */
  async snapshot(workspaceId: string): Promise<WorkspacePriceSnapshot> {
    const state = await this.settings(workspaceId);
    return { find: (provider, model, at) => workspacePrice(state, provider, model, at) };
  }

  /** The workspace's settings as of the stream's current last revision. */
  async settings(workspaceId: string): Promise<ModelSettingsState> {
    const [last] = await this.options.store.readStream(UsageStreams.models(workspaceId), { direction: 'backwards', maxCount: 1 });
    if (!last) return { models: {} };
    const cached = this.cache.get(workspaceId);
    if (cached && cached.revision === last.streamRevision) {
      this.cache.delete(workspaceId);
      this.cache.set(workspaceId, cached);
      return cached.state;
    }
    const loaded = await loadModelSettings(this.options.store, workspaceId);
    if (loaded.revision !== undefined) {
      this.cache.delete(workspaceId);
      this.cache.set(workspaceId, { revision: loaded.revision, state: loaded.state });
      while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    }
    return loaded.state;
  }
}

/** The price in force at `at`, as the Pricer takes it: `ref` is its effective-from. */
function workspacePrice(state: ModelSettingsState, provider: string, model: string, at: Date): WorkspacePrice | undefined {
  const price = priceAt(findModel(state, provider, model), at);
  return price ? { unitPrices: price.unitPrices, ref: price.effectiveFrom } : undefined;
}
