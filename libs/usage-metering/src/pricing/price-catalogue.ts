import { z } from 'zod';
import { UnitPricesSchema, type TokenType, type UnitPrices } from '@steward/contracts';
import catalogueFile from './catalogue/model-price-catalogue.json';

/** Kept with every copy of the catalogue the project ships (see catalogue/CATALOGUE-NOTICE.md). */
export const CATALOGUE_ATTRIBUTION =
  'Model prices from the default-model-prices.json price table of the Langfuse project (worker/src/constants/, ' +
  'commit 62751446, 2026-08-22), MIT licence, Copyright (c) 2023-2026 ClickHouse, Inc.';

/**
 * How each price key of the source catalogue maps onto Steward's token types. Every key that occurs in the
 * source is either here or in CATALOGUE_UNMAPPED_PRICE_KEYS (the generator refuses an unknown key). The
 * aliases of one type carry the same figure in every model (the generator checks it).
 */
export const CATALOGUE_PRICE_KEYS: Readonly<Record<string, readonly TokenType[]>> = {
  input: ['input'],
  input_tokens: ['input'],
  prompt_token_count: ['input'],
  promptTokenCount: ['input'],
  input_text: ['input'],
  input_text_tokens: ['input'],
  /** Gemini's first modality is text; it carries the same figure as `input`. */
  input_modality_1: ['input'],
  output: ['output'],
  output_tokens: ['output'],
  candidates_token_count: ['output'],
  candidatesTokenCount: ['output'],
  output_text: ['output'],
  output_text_tokens: ['output'],
  output_modality_1: ['output'],
  /** Legacy completion and embedding models price every token alike. */
  total: ['input', 'output'],
  input_cache_read: ['cacheRead'],
  cache_read_input_tokens: ['cacheRead'],
  input_cached_tokens: ['cacheRead'],
  cached_content_token_count: ['cacheRead'],
  input_cached_text_tokens: ['cacheRead'],
  input_cache_creation: ['cacheCreation'],
  cache_creation_input_tokens: ['cacheCreation'],
  /** Anthropic's default cache write lives five minutes; the one-hour write is not a Steward token type. */
  input_cache_creation_5m: ['cacheCreation'],
  cache_write_tokens: ['cacheCreation'],
  output_reasoning: ['reasoningOutput'],
  output_reasoning_tokens: ['reasoningOutput'],
  reasoning_tokens: ['reasoningOutput'],
  thoughtsTokenCount: ['reasoningOutput'],
  thoughts_token_count: ['reasoningOutput'],
};

/** Price keys of the source that Steward's usage events have no count for, with the reason. */
export const CATALOGUE_UNMAPPED_PRICE_KEYS: Readonly<Record<string, string>> = {
  input_cache_creation_1h: 'one-hour cache writes: usage events carry one cache-creation count (priced at the 5-minute rate)',
  input_audio: 'audio tokens: not a token type of a usage event',
  input_audio_tokens: 'audio tokens: not a token type of a usage event',
  output_audio: 'audio tokens: not a token type of a usage event',
  output_audio_tokens: 'audio tokens: not a token type of a usage event',
  input_cached_audio_tokens: 'audio tokens: not a token type of a usage event',
  input_image: 'image inputs: not a token type of a usage event',
  grounding_queries: 'search grounding is priced per query, not per token',
  groundingQueries: 'search grounding is priced per query, not per token',
  web_search_queries: 'web search is priced per query, not per token',
  webSearchQueries: 'web search is priced per query, not per token',
};

const CatalogueEntrySchema = z
  .object({
    id: z.string().min(1),
    modelName: z.string().min(1),
    /** A JavaScript regular expression source (the source's `(?i)` prefix became the `i` flag). */
    pattern: z.string().min(1),
    flags: z.enum(['', 'i']),
    /** The provider the entry is for, where the source says: preferred when several entries match. */
    provider: z.string().min(1).optional(),
    unitPrices: UnitPricesSchema,
  })
  .strict();
export type CatalogueEntry = z.infer<typeof CatalogueEntrySchema>;

const PriceCatalogueFileSchema = z
  .object({ attribution: z.string().min(1), source: z.string().min(1), entries: z.array(CatalogueEntrySchema) })
  .strict();
export type PriceCatalogueFile = z.infer<typeof PriceCatalogueFileSchema>;

/** A catalogue price found for a call. `ref` is the catalogue entry's id. */
export interface CataloguePrice {
  readonly unitPrices: UnitPrices;
  readonly ref: string;
  readonly modelName: string;
}

const MAX_REMEMBERED = 10_000;

/**
 * Finds the catalogue price of a (provider, model): the first entry whose pattern matches the model name,
 * or `<provider>/<model>`; among several, the one whose provider is the call's. Answers are remembered per
 * (provider, model) — the patterns are tried once per model, not once per call.
 */
export class PriceCatalogue {
  private readonly compiled: { readonly entry: CatalogueEntry; readonly regex: RegExp; readonly price: CataloguePrice }[];
  private readonly remembered = new Map<string, CataloguePrice | null>();

  constructor(entries: readonly CatalogueEntry[]) {
    this.compiled = entries.map((entry) => ({
      entry,
      regex: new RegExp(entry.pattern, entry.flags),
      price: { unitPrices: entry.unitPrices, ref: entry.id, modelName: entry.modelName },
    }));
  }

  get size(): number {
    return this.compiled.length;
  }

  find(provider: string, model: string): CataloguePrice | undefined {
    const key = `${provider}\u0000${model}`;
    const known = this.remembered.get(key);
    if (known !== undefined) return known ?? undefined;
    const found = this.search(provider.toLowerCase(), model);
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    this.remembered.set(key, found ?? null);
    return found;
  }

  private search(provider: string, model: string): CataloguePrice | undefined {
    const qualified = `${provider}/${model}`;
    let first: CataloguePrice | undefined;
    for (const { entry, regex, price } of this.compiled) {
      if (!regex.test(model) && !regex.test(qualified)) continue;
      if (entry.provider === provider) return price;
      first ??= price;
    }
    return first;
  }
}

let builtIn: PriceCatalogue | undefined;

/** The built-in catalogue (validated once, on first use). */
export function builtInPriceCatalogue(): PriceCatalogue {
  builtIn ??= new PriceCatalogue(builtInCatalogueFile().entries);
  return builtIn;
}

/** The built-in catalogue as published: its attribution, source and entries (for listing, not for pricing a call). */
export function builtInCatalogueFile(): PriceCatalogueFile {
  builtInFile ??= PriceCatalogueFileSchema.parse(catalogueFile);
  return builtInFile;
}
let builtInFile: PriceCatalogueFile | undefined;
