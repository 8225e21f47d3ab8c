import type { UnitPrices, UsagePricing } from '@steward/contracts';
import { usageCost, type TokenCounts } from './cost';
import { builtInPriceCatalogue, type PriceCatalogue } from './price-catalogue';

/** A workspace's own price for a model, in force at a time. `ref` traces it (e.g. its effective-from). */
export interface WorkspacePrice {
  readonly unitPrices: UnitPrices;
  readonly ref: string;
}

/**
 * The prices a workspace set in its model settings (the models part implements it over the ModelSettings
 * streams). `find` answers the price in force at `at`, or undefined when the workspace set none for the model.
 * `provider` arrives lower-cased (as the usage schemas normalise it).
 */
export interface WorkspacePriceLookup {
  find(workspaceId: string, provider: string, model: string, at: Date): Promise<WorkspacePrice | undefined>;
  /**
   * Optional, for throughput: the workspace's prices read once, to price a whole ingest batch without a read
   * per call (`Pricer.priceMany` uses it when present, `find` per call otherwise).
   */
  snapshot?(workspaceId: string): Promise<WorkspacePriceSnapshot>;
}

/** A workspace's prices as read at one moment: answers without I/O. */
export interface WorkspacePriceSnapshot {
  find(provider: string, model: string, at: Date): WorkspacePrice | undefined;
}

/** A lookup for a deployment where no workspace has prices of its own: the catalogue prices everything. */
export const noWorkspacePrices: WorkspacePriceLookup = {
  find: () => Promise.resolve(undefined),
  snapshot: () => Promise.resolve({ find: () => undefined }),
};

/** What pricing a call needs from it. */
export interface PricingInput extends TokenCounts {
  readonly provider: string;
  readonly model: string;
  /** The time of the call (ISO 8601): prices are effective-dated. */
  readonly time: string;
}

/** A priced call: `cost` in USD as exact decimal text, and how it was priced. */
export interface PricedUsage {
  readonly cost: string;
  readonly pricing: UsagePricing;
}

const UNPRICED: PricedUsage = Object.freeze({ cost: '0', pricing: Object.freeze({ status: 'unpriced' as const }) });

/**
 * Prices calls: the workspace's own price in force at the call's time, else the built-in catalogue, else
 * `unpriced` with cost "0" (the screen says "pricing not configured").
 */
export class Pricer {
  constructor(
    private readonly workspacePrices: WorkspacePriceLookup = noWorkspacePrices,
    private readonly catalogue: PriceCatalogue = builtInPriceCatalogue(),
  ) {}

  async price(workspaceId: string, call: PricingInput): Promise<PricedUsage> {
    return this.priceBy(call, await this.workspacePrices.find(workspaceId, call.provider, call.model, new Date(call.time)));
  }

  /**
   * Prices many calls of one workspace, in order. With a lookup that offers `snapshot`, the workspace's
   * prices are read once for all of them.
   */
  async priceMany(workspaceId: string, calls: readonly PricingInput[]): Promise<PricedUsage[]> {
    const snapshot = this.workspacePrices.snapshot ? await this.workspacePrices.snapshot(workspaceId) : undefined;
    const priced = new Array<PricedUsage>(calls.length);
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      const own = snapshot
        ? snapshot.find(call.provider, call.model, new Date(call.time))
        : await this.workspacePrices.find(workspaceId, call.provider, call.model, new Date(call.time));
      priced[i] = this.priceBy(call, own);
    }
    return priced;
  }

  /** By the workspace's own price when it has one in force, else by the catalogue. */
  private priceBy(call: PricingInput, own: WorkspacePrice | undefined): PricedUsage {
    if (!own) return this.priceFromCatalogue(call);
    return { cost: usageCost(call, own.unitPrices), pricing: { status: 'priced', source: 'workspace', ref: own.ref, unitPrices: own.unitPrices } };
  }

  /** The catalogue's answer alone (no workspace price): what a call costs by the built-in prices. */
  priceFromCatalogue(call: PricingInput): PricedUsage {
    const listed = this.catalogue.find(call.provider, call.model);
    if (!listed) return UNPRICED;
    return {
      cost: usageCost(call, listed.unitPrices),
      pricing: { status: 'priced', source: 'catalogue', ref: listed.ref, unitPrices: listed.unitPrices },
    };
  }
}
