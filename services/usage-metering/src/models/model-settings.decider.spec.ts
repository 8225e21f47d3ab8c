import { deciderSpec } from '@steward/testing';
import { findModel, modelSettingsDecider, priceAt, type ModelSettingsCommand } from './model-settings.decider';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';

const AT = '2026-11-21T10:00:00.000Z';
const actor = { type: 'user', id: 'u-admin' } as const;
const scope = { organizationId: 'org-1', workspaceId: 'ws-1' };
const { given } = deciderSpec(modelSettingsDecider);

function setPrice(
  unitPrices: { input: string; output: string; cacheRead?: string },
  options: { effectiveFrom?: string; rerate?: boolean; at?: string; model?: string } = {},
): ModelSettingsCommand {
  return {
    type: 'SetModelPricing',
    actor,
    at: options.at ?? AT,
    organizationId: 'org-1',
    payload: {
      workspaceId: 'ws-1',
      provider: 'openai',
      model: options.model ?? 'gpt-4o',
      unitPrices,
      ...(options.effectiveFrom ? { effectiveFrom: options.effectiveFrom } : {}),
      rerate: options.rerate ?? false,
    },
  };
}

const setKey = (secretRef: string, hint = '••••abcd'): ModelSettingsCommand => ({
  type: 'SetModelApiKey',
  actor,
  at: AT,
  organizationId: 'org-1',
  payload: { workspaceId: 'ws-1', provider: 'openai', model: 'gpt-4o', secretRef, hint },
});
const clearKey: ModelSettingsCommand = { type: 'ClearModelApiKey', actor, at: AT, organizationId: 'org-1', payload: { workspaceId: 'ws-1', provider: 'openai', model: 'gpt-4o' } };

const configure = (change: { pricing?: { unitPrices: { input: string; output: string }; effectiveFrom?: string; rerate?: boolean }; apiKey?: { secretRef: string; hint: string } | null }): ModelSettingsCommand => ({
  type: 'ConfigureModel',
  actor,
  at: AT,
  organizationId: 'org-1',
  payload: {
    workspaceId: 'ws-1',
    provider: 'openai',
    model: 'gpt-4o',
    ...(change.pricing ? { pricing: { rerate: false, ...change.pricing } } : {}),
    ...(change.apiKey !== undefined ? { apiKey: change.apiKey } : {}),
  },
});

describe('model settings decider', () => {
  const refused = (field: string) => [ModelSettingsError, { code: ModelSettingsErrorCode.InvalidCommand, field }] as const;

  it('configures a model in one decision: its price and its key, each as its own command would', () => {
    const prices = { input: '0.0000025', output: '0.00001' };
    const key = { secretRef: 'sec_1', hint: '••••abcd' };
    const both = given([]).when(configure({ pricing: { unitPrices: prices }, apiKey: key })).events();
    expect(both).toEqual([...given([]).when(setPrice(prices)).events(), ...given([]).when(setKey('sec_1')).events()]);
    // the same again changes nothing; clearing a key that is set clears it, a price alone leaves the key
    given(both).when(configure({ pricing: { unitPrices: prices }, apiKey: key })).thenNothingHappened();
    expect(given(both).when(configure({ apiKey: null })).events()).toEqual(given(both).when(clearKey).events());
    expect(given(both).when(configure({ pricing: { unitPrices: { ...prices, input: '0.000003' } } })).events().map((event) => event.type)).toEqual(['ModelPricingSet']);
    // a refused price refuses the whole change, the key included
    given([])
      .when(configure({ pricing: { unitPrices: prices, effectiveFrom: '2030-01-01T00:00:00.000Z' }, apiKey: { secretRef: 'sec_2', hint: '••••wxyz' } }))
      .thenThrows(...refused('effectiveFrom'));
  });

  it('sets a price per token, effective from now by default', () => {
    given([])
      .when(setPrice({ input: '0.0000025', output: '0.00001' }))
      .then([
        {
          type: 'ModelPricingSet',
          data: {
            ...scope,
            provider: 'openai',
            model: 'gpt-4o',
            unitPrices: { input: '0.0000025', output: '0.00001' },
            effectiveFrom: AT,
            setBy: 'u-admin',
            setAt: AT,
            rerate: false,
          },
        },
      ]);
  });

  it('keeps a price history: the price at a time is the one with the latest effective-from not after it', () => {
    const history = [
      ...given([]).when(setPrice({ input: '1', output: '2' }, { effectiveFrom: '2026-01-01T00:00:00Z' })).events(),
      ...given([]).when(setPrice({ input: '3', output: '4' }, { effectiveFrom: '2026-06-01T00:00:00Z' })).events(),
    ];
    const entry = findModel(given(history).state, 'openai', 'gpt-4o');
    expect(priceAt(entry, '2025-12-31T23:59:59Z')).toBeUndefined();
    expect(priceAt(entry, '2026-01-01T00:00:00Z')?.unitPrices.input).toBe('1');
    expect(priceAt(entry, '2026-05-31T23:59:59Z')?.unitPrices.input).toBe('1');
    expect(priceAt(entry, '2026-06-01T00:00:00Z')?.unitPrices.input).toBe('3');
  });

  it('a price set again for the same effective-from replaces the earlier one', () => {
    const from = '2026-06-01T00:00:00.000Z';
    const first = given([]).when(setPrice({ input: '1', output: '2' }, { effectiveFrom: from })).events();
    const history = [...first, ...given(first).when(setPrice({ input: '5', output: '6' }, { effectiveFrom: from })).events()];
    const entry = findModel(given(history).state, 'openai', 'gpt-4o');
    expect(entry?.prices.map((price) => price.unitPrices.input)).toEqual(['5']);
  });

  it('the same price for the same effective-from again changes nothing (numerically equal decimals too)', () => {
    const from = '2026-06-01T00:00:00.000Z';
    const history = given([]).when(setPrice({ input: '0.10', output: '2' }, { effectiveFrom: from })).events();
    given(history).when(setPrice({ input: '0.1', output: '2.000' }, { effectiveFrom: from })).thenNothingHappened();
    given(history)
      .when(setPrice({ input: '0.1', output: '2', cacheRead: '0.05' }, { effectiveFrom: from }))
      .then((events) => expect(events).toHaveLength(1));
  });

  it('refuses a negative price, naming the field', () => {
    given([]).when(setPrice({ input: '-0.1', output: '1' })).thenThrows(...refused('unitPrices.input'));
  });

  it('accepts a price scheduled up to a year ahead, not further', () => {
    given([])
      .when(setPrice({ input: '1', output: '1' }, { effectiveFrom: '2027-06-01T00:00:00Z' }))
      .then((events) => expect(events).toHaveLength(1));
    given([]).when(setPrice({ input: '1', output: '1' }, { effectiveFrom: '2028-01-01T00:00:00Z' })).thenThrows(...refused('effectiveFrom'));
  });

  it('a re-rate needs an effective-from in the past, at most a year back', () => {
    given([]).when(setPrice({ input: '1', output: '1' }, { effectiveFrom: '2026-11-22T00:00:00Z', rerate: true })).thenThrows(...refused('effectiveFrom'));
    given([]).when(setPrice({ input: '1', output: '1' }, { effectiveFrom: '2025-01-01T00:00:00Z', rerate: true })).thenThrows(...refused('effectiveFrom'));
    given([])
      .when(setPrice({ input: '1', output: '1' }, { effectiveFrom: '2026-11-01T00:00:00Z', rerate: true }))
      .then(([event]) => expect(event).toMatchObject({ type: 'ModelPricingSet', data: { rerate: true, effectiveFrom: '2026-11-01T00:00:00.000Z' } }));
  });

  it('sets an API key as a secret ref and a masked hint only', () => {
    const events = [
      {
        type: 'ModelApiKeySet' as const,
        data: { ...scope, provider: 'openai', model: 'gpt-4o', secretRef: 'sec_1', hint: '••••abcd', setBy: 'u-admin', setAt: AT },
      },
    ];
    given([]).when(setKey('sec_1')).then(events);
    expect(findModel(given(events).state, 'openai', 'gpt-4o')?.apiKey?.secretRef).toBe('sec_1');
    given(events).when(setKey('sec_1')).thenNothingHappened();
    given(events)
      .when(setKey('sec_2'))
      .then((decided) => expect(decided).toHaveLength(1));
  });

  it('clears a set key; clearing a key that is not set changes nothing', () => {
    const history = given([]).when(setKey('sec_1')).events();
    const cleared = [
      { type: 'ModelApiKeyCleared' as const, data: { ...scope, provider: 'openai', model: 'gpt-4o', clearedBy: 'u-admin', clearedAt: AT } },
    ];
    given(history).when(clearKey).then(cleared);
    expect(findModel(given([...history, ...cleared]).state, 'openai', 'gpt-4o')?.apiKey).toBeUndefined();
    given([...history, ...cleared]).when(clearKey).thenNothingHappened();
    given([]).when(clearKey).thenNothingHappened();
  });

  it('keeps prices when the key changes, and the key when prices change', () => {
    const history = [...given([]).when(setPrice({ input: '1', output: '2' })).events(), ...given([]).when(setKey('sec_1')).events()];
    const entry = findModel(given(history).state, 'openai', 'gpt-4o');
    expect(entry?.prices).toHaveLength(1);
    expect(entry?.apiKey?.hint).toBe('••••abcd');
  });
});
