import { catalogueListing } from './catalogue-listing';
import { builtInCatalogueFile, type PriceCatalogueFile } from './price-catalogue';

const file: PriceCatalogueFile = {
  attribution: 'prices from somewhere',
  source: 'a table',
  entries: [
    { id: 'e1', modelName: 'gpt-4o', pattern: '^gpt-4o$', flags: 'i', provider: 'openai', unitPrices: { input: '0.0000025', output: '0.00001' } },
    { id: 'e2', modelName: 'claude-3-haiku', pattern: '^claude-3-haiku$', flags: '', provider: 'anthropic', unitPrices: { input: '0.00000025', output: '0.00000125' } },
    { id: 'e3', modelName: 'GPT-4o-mini', pattern: '^gpt-4o-mini$', flags: 'i', unitPrices: { input: '0.00000015', output: '0.0000006', cacheRead: '0.000000075' } },
  ],
};

describe('catalogueListing', () => {
  it('pages the entries in catalogue order with prices per token and per 1M tokens', () => {
    expect(catalogueListing({ page: 2, pageSize: 2 }, file)).toEqual({
      attribution: 'prices from somewhere',
      source: 'a table',
      items: [
        {
          id: 'e3',
          modelName: 'GPT-4o-mini',
          provider: null,
          matchPattern: '^gpt-4o-mini$',
          flags: 'i',
          unitPrices: { input: '0.00000015', output: '0.0000006', cacheRead: '0.000000075' },
          unitPricesPerMillionTokens: { input: '0.15', output: '0.6', cacheRead: '0.075' },
        },
      ],
      total: 3,
      page: 2,
      pageSize: 2,
      pageCount: 2,
    });
  });

  it('searches model name and provider without regard to case; a page past the end is empty', () => {
    expect(catalogueListing({ page: 1, pageSize: 10, q: 'GPT-4O' }, file).items.map((item) => item.id)).toEqual(['e1', 'e3']);
    expect(catalogueListing({ page: 1, pageSize: 10, q: 'anthrop' }, file).items.map((item) => item.id)).toEqual(['e2']);
    expect(catalogueListing({ page: 1, pageSize: 10, q: 'nothing' }, file)).toMatchObject({ items: [], total: 0, pageCount: 0 });
    expect(catalogueListing({ page: 5, pageSize: 2 }, file)).toMatchObject({ items: [], total: 3, page: 5, pageCount: 2 });
  });

  it('lists the built-in catalogue by default', () => {
    const listing = catalogueListing({ page: 1, pageSize: 1 });
    expect(listing.total).toBe(builtInCatalogueFile().entries.length);
    expect(listing.attribution).toMatch(/Langfuse/);
  });
});
