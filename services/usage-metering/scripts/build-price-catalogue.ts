/*
 * Builds the built-in price catalogue of usage-metering from the public catalogue in
 * ../shared/data/model-prices.json (Langfuse's default-model-prices.json, MIT licence):
 *
 *   npm exec -- node -r @swc-node/register services/usage-metering/scripts/build-price-catalogue.ts [source.json]
 *
 * Writes services/usage-metering/src/pricing/catalogue/model-price-catalogue.json. Prices become exact decimal
 * text read from the JSON number tokens themselves (JSON.parse source text access), never through a float.
 * Only the default pricing tier of each model is kept. Run again when the source changes; commit the output.
 */
import Decimal from 'decimal.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CATALOGUE_ATTRIBUTION,
  CATALOGUE_PRICE_KEYS,
  CATALOGUE_UNMAPPED_PRICE_KEYS,
  type CatalogueEntry,
  type PriceCatalogueFile,
} from '@steward/usage-metering';
import type { TokenType } from '@steward/contracts';

interface SourceTier {
  id: string;
  isDefault: boolean;
  prices: Record<string, string>;
}
interface SourceEntry {
  id: string;
  modelName: string;
  matchPattern: string;
  tokenizerId?: string;
  pricingTiers: SourceTier[];
}

const sourcePath = resolve(process.argv[2] ?? join(process.cwd(), '../shared/data/model-prices.json'));
const outputPath = join(__dirname, '../src/pricing/catalogue/model-price-catalogue.json');

// Every number becomes the text of its token: `2.5e-6` stays `2.5e-6`, later turned into `0.0000025` by Decimal.
type SourceReviver = (key: string, value: unknown, context?: { source?: string }) => unknown;
const keepNumberText: SourceReviver = (_key, value, context) => {
  if (typeof value !== 'number') return value;
  if (context?.source === undefined) throw new Error('this Node.js has no JSON.parse source text access (Node 24 has)');
  return context.source;
};
const source = JSON.parse(readFileSync(sourcePath, 'utf8'), keepNumberText as Parameters<typeof JSON.parse>[1]) as SourceEntry[];

const PROVIDER_BY_TOKENIZER: Record<string, string> = { openai: 'openai', claude: 'anthropic' };
const PROVIDER_BY_PATTERN_PREFIX: [RegExp, string][] = [
  [/^\^\(openai\\?\/\)\?/, 'openai'],
  [/^\^\(anthropic\\?\/\)\?/, 'anthropic'],
  [/^\^\(google\(ai\)\?\\?\/\)\?/, 'google'],
];

function exactText(value: string, where: string): string {
  const decimal = new Decimal(value);
  if (!decimal.isFinite() || decimal.isNegative()) throw new Error(`${where}: not a non-negative finite price: ${value}`);
  return decimal.isZero() ? '0' : decimal.toFixed();
}

const unmappedSeen = new Map<string, number>();
const entries: CatalogueEntry[] = source.map((item) => {
  const where = `${item.modelName} (${item.id})`;
  const defaults = item.pricingTiers.filter((tier) => tier.isDefault);
  if (defaults.length !== 1) throw new Error(`${where}: ${defaults.length} default tiers, expected one`);
  const tier = defaults[0]!;
  const unitPrices: Partial<Record<TokenType, string>> = {};
  for (const [key, raw] of Object.entries(tier.prices)) {
    const types = CATALOGUE_PRICE_KEYS[key];
    if (!types) {
      if (!(key in CATALOGUE_UNMAPPED_PRICE_KEYS)) throw new Error(`${where}: price key "${key}" is neither mapped nor listed as unmapped`);
      unmappedSeen.set(key, (unmappedSeen.get(key) ?? 0) + 1);
      continue;
    }
    const price = exactText(raw, `${where} ${key}`);
    for (const type of types) {
      const earlier = unitPrices[type];
      if (earlier !== undefined && earlier !== price) throw new Error(`${where}: ${type} priced both ${earlier} and ${price}`);
      unitPrices[type] = price;
    }
  }
  if (unitPrices.input === undefined || unitPrices.output === undefined) throw new Error(`${where}: no input or output price`);
  let pattern = item.matchPattern;
  let flags: '' | 'i' = '';
  if (pattern.startsWith('(?i)')) {
    pattern = pattern.slice(4);
    flags = 'i';
  }
  new RegExp(pattern, flags); // a pattern JavaScript cannot compile fails the build, not the service
  const provider =
    (item.tokenizerId && PROVIDER_BY_TOKENIZER[item.tokenizerId]) ?? PROVIDER_BY_PATTERN_PREFIX.find(([prefix]) => prefix.test(pattern))?.[1];
  return {
    id: item.id,
    modelName: item.modelName,
    pattern,
    flags,
    ...(provider ? { provider } : {}),
    unitPrices: {
      input: unitPrices.input,
      output: unitPrices.output,
      ...(unitPrices.cacheRead !== undefined ? { cacheRead: unitPrices.cacheRead } : {}),
      ...(unitPrices.cacheCreation !== undefined ? { cacheCreation: unitPrices.cacheCreation } : {}),
      ...(unitPrices.reasoningOutput !== undefined ? { reasoningOutput: unitPrices.reasoningOutput } : {}),
    },
  };
});

const file: PriceCatalogueFile = {
  attribution: CATALOGUE_ATTRIBUTION,
  source: 'shared/data/model-prices.json (Langfuse worker/src/constants/default-model-prices.json, commit 62751446), default tier of each model',
  entries,
};
writeFileSync(outputPath, `${JSON.stringify(file, null, 2)}\n`);
process.stdout.write(`${entries.length} models written to ${outputPath}\n`);
for (const [key, count] of unmappedSeen) process.stdout.write(`  not mapped: ${key} (${count} models)\n`);
