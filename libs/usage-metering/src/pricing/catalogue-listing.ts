import type { UnitPrices } from '@steward/contracts';
import { builtInCatalogueFile, type PriceCatalogueFile } from './price-catalogue';
import { pricesPerMillionTokens } from './per-million';

export interface CatalogueModelView {
  readonly id: string;
  readonly modelName: string;
  /** The provider the entry is for; null where the source names none. */
  readonly provider: string | null;
  /** A regular expression over the model name (or `provider/model`). */
  readonly matchPattern: string;
  readonly flags: string;
  /** USD per token, as the catalogue holds them. */
  readonly unitPrices: UnitPrices;
  readonly unitPricesPerMillionTokens: UnitPrices;
}

export interface CataloguePage {
  readonly attribution: string;
  readonly source: string;
  readonly items: CatalogueModelView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

export interface CatalogueRequest {
  /** From 1. */
  readonly page: number;
  readonly pageSize: number;
  /** Case-insensitive substring of the model name or the provider. */
  readonly q?: string | undefined;
}

/** One page of the price catalogue in its own order, optionally searched, with its attribution. */
export function catalogueListing(request: CatalogueRequest, file: PriceCatalogueFile = builtInCatalogueFile()): CataloguePage {
  const { page, pageSize } = request;
  const needle = request.q?.toLowerCase();
  const matching = file.entries.filter(
    (entry) => needle === undefined || entry.modelName.toLowerCase().includes(needle) || (entry.provider ?? '').toLowerCase().includes(needle),
  );
  const items = matching.slice((page - 1) * pageSize, page * pageSize).map((entry) => ({
    id: entry.id,
    modelName: entry.modelName,
    provider: entry.provider ?? null,
    matchPattern: entry.pattern,
    flags: entry.flags,
    unitPrices: entry.unitPrices,
    unitPricesPerMillionTokens: pricesPerMillionTokens(entry.unitPrices),
  }));
  return { attribution: file.attribution, source: file.source, items, total: matching.length, page, pageSize, pageCount: Math.ceil(matching.length / pageSize) };
}
