import { builtInPriceCatalogue, CATALOGUE_ATTRIBUTION, PriceCatalogue } from './price-catalogue';
import catalogueFile from './catalogue/model-price-catalogue.json';

describe('the built-in price catalogue', () => {
  const catalogue = builtInPriceCatalogue();

  it('holds every model of the source with its attribution', () => {
    expect(catalogue.size).toBe(167);
    expect(catalogueFile.attribution).toBe(CATALOGUE_ATTRIBUTION);
    expect(CATALOGUE_ATTRIBUTION).toContain('Langfuse');
    expect(CATALOGUE_ATTRIBUTION).toContain('MIT');
  });

  it('keeps every price as plain decimal text', () => {
    for (const entry of catalogueFile.entries) {
      for (const price of Object.values(entry.unitPrices)) expect(price).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
    }
  });

  it('finds a model by its name, case-insensitively, and as provider/model', () => {
    const byName = catalogue.find('openai', 'gpt-4o');
    expect(byName).toMatchObject({ modelName: 'gpt-4o', unitPrices: { input: '0.0000025', output: '0.00001', cacheRead: '0.00000125' } });
    expect(catalogue.find('openai', 'GPT-4o')?.ref).toBe(byName?.ref);
    expect(catalogue.find('azure', 'openai/gpt-4o')?.ref).toBe(byName?.ref);
  });

  it('maps cache writes and reasoning prices', () => {
    const sonnet = catalogue.find('anthropic', 'claude-3-5-sonnet-20240620');
    expect(sonnet?.unitPrices).toEqual({ input: '0.000003', output: '0.000015', cacheRead: '0.0000003', cacheCreation: '0.00000375' });
    expect(catalogue.find('aws', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0')?.ref).toBe(sonnet?.ref);
    const o1 = catalogue.find('openai', 'o1');
    expect(o1?.unitPrices.reasoningOutput).toBe(o1?.unitPrices.output);
    expect(o1?.unitPrices.reasoningOutput).toBeDefined();
  });

  it('prices legacy models of one total price alike for input and output', () => {
    expect(catalogue.find('openai', 'text-embedding-3-small')?.unitPrices).toEqual({ input: '0.00000002', output: '0.00000002' });
  });

  it('knows nothing of an unknown model', () => {
    expect(catalogue.find('acme', 'acme-llm-1')).toBeUndefined();
    expect(catalogue.find('acme', 'acme-llm-1')).toBeUndefined(); // remembered answer
  });

  it('prefers the entry of the call’s provider when several match', () => {
    const entries = [
      { id: 'generic', modelName: 'm', pattern: '^m$', flags: '' as const, unitPrices: { input: '1', output: '1' } },
      { id: 'acme', modelName: 'm', pattern: '^m$', flags: '' as const, provider: 'acme', unitPrices: { input: '2', output: '2' } },
    ];
    const small = new PriceCatalogue(entries);
    expect(small.find('acme', 'm')?.ref).toBe('acme');
    expect(small.find('other', 'm')?.ref).toBe('generic');
  });
});
