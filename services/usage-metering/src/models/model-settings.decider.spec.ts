import { decideModelSettings, type ModelSettingsCommand } from './model-settings.decider';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';
import { findModel, foldModelSettings, priceAt, type ModelSettingsEvent } from './model-settings.state';

const AT = '2026-11-21T10:00:00.000Z';
const actor = { type: 'user', id: 'u-admin' } as const;
const scope = { organizationId: 'org-1', workspaceId: 'ws-1' };

function when(history: readonly ModelSettingsEvent[], command: ModelSettingsCommand): ModelSettingsEvent[] {
  return decideModelSettings(command, { settings: foldModelSettings(history), organizationId: 'org-1' });
}

function setPrice(
  unitPrices: { input: string; output: string; cacheRead?: string },
  options: { effectiveFrom?: string; rerate?: boolean; at?: string; model?: string } = {},
): ModelSettingsCommand {
  return {
    type: 'SetModelPricing',
    actor,
    at: options.at ?? AT,
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

function refusal(decide: () => unknown): { code: ModelSettingsErrorCode; field: string | undefined } {
  try {
    decide();
  } catch (error) {
    if (error instanceof ModelSettingsError) return { code: error.code, field: error.field };
    throw error;
  }
  throw new Error('expected the command to be refused');
}

const setKey = (secretRef: string, hint = '••••abcd'): ModelSettingsCommand => ({
  type: 'SetModelApiKey',
  actor,
  at: AT,
  payload: { workspaceId: 'ws-1', provider: 'openai', model: 'gpt-4o', secretRef, hint },
});
const clearKey: ModelSettingsCommand = { type: 'ClearModelApiKey', actor, at: AT, payload: { workspaceId: 'ws-1', provider: 'openai', model: 'gpt-4o' } };

const configure = (change: { pricing?: { unitPrices: { input: string; output: string }; effectiveFrom?: string; rerate?: boolean }; apiKey?: { secretRef: string; hint: string } | null }): ModelSettingsCommand => ({
  type: 'ConfigureModel',
  actor,
  at: AT,
  payload: {
    workspaceId: 'ws-1',
    provider: 'openai',
    model: 'gpt-4o',
    ...(change.pricing ? { pricing: { rerate: false, ...change.pricing } } : {}),
    ...(change.apiKey !== undefined ? { apiKey: change.apiKey } : {}),
  },
});

describe('model settings decider', () => {
  it('configures a model in one decision: its price and its key, each as its own command would', () => {
    const prices = { input: '0.0000025', output: '0.00001' };
    const both = when([], configure({ pricing: { unitPrices: prices }, apiKey: { secretRef: 'sec_1', hint: '••••abcd' } }));
    expect(both).toEqual([...when([], setPrice(prices)), ...when([], setKey('sec_1'))]);
    // the same again changes nothing; clearing a key that is set clears it, a price alone leaves the key
    expect(when(both, configure({ pricing: { unitPrices: prices }, apiKey: { secretRef: 'sec_1', hint: '••••abcd' } }))).toEqual([]);
    expect(when(both, configure({ apiKey: null }))).toEqual(when(both, clearKey));
    expect(when(both, configure({ pricing: { unitPrices: { ...prices, input: '0.000003' } } })).map((event) => event.type)).toEqual(['ModelPricingSet']);
    // a refused price refuses the whole change, the key included
    expect(refusal(() => when([], configure({ pricing: { unitPrices: prices, effectiveFrom: '2030-01-01T00:00:00.000Z' }, apiKey: { secretRef: 'sec_2', hint: '••••wxyz' } })))).toEqual({
      code: ModelSettingsErrorCode.InvalidCommand,
      field: 'effectiveFrom',
    });
  });

  it('sets a price per token, effective from now by default', () => {
    expect(when([], setPrice({ input: '0.0000025', output: '0.00001' }))).toEqual([
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
      ...when([], setPrice({ input: '1', output: '2' }, { effectiveFrom: '2026-01-01T00:00:00Z' })),
      ...when([], setPrice({ input: '3', output: '4' }, { effectiveFrom: '2026-06-01T00:00:00Z' })),
    ];
    const entry = findModel(foldModelSettings(history), 'openai', 'gpt-4o');
    expect(priceAt(entry, '2025-12-31T23:59:59Z')).toBeUndefined();
    expect(priceAt(entry, '2026-01-01T00:00:00Z')?.unitPrices.input).toBe('1');
    expect(priceAt(entry, '2026-05-31T23:59:59Z')?.unitPrices.input).toBe('1');
    expect(priceAt(entry, '2026-06-01T00:00:00Z')?.unitPrices.input).toBe('3');
  });

  it('a price set again for the same effective-from replaces the earlier one', () => {
    const from = '2026-06-01T00:00:00.000Z';
    const history = [...when([], setPrice({ input: '1', output: '2' }, { effectiveFrom: from }))];
    history.push(...when(history, setPrice({ input: '5', output: '6' }, { effectiveFrom: from })));
    const entry = findModel(foldModelSettings(history), 'openai', 'gpt-4o');
    expect(entry?.prices.map((price) => price.unitPrices.input)).toEqual(['5']);
  });

  it('the same price for the same effective-from again changes nothing (numerically equal decimals too)', () => {
    const from = '2026-06-01T00:00:00.000Z';
    const history = when([], setPrice({ input: '0.10', output: '2' }, { effectiveFrom: from }));
    expect(when(history, setPrice({ input: '0.1', output: '2.000' }, { effectiveFrom: from }))).toEqual([]);
    expect(when(history, setPrice({ input: '0.1', output: '2', cacheRead: '0.05' }, { effectiveFrom: from }))).toHaveLength(1);
  });

  it('refuses a negative price, naming the field', () => {
    expect(refusal(() => when([], setPrice({ input: '-0.1', output: '1' })))).toEqual({
      code: ModelSettingsErrorCode.InvalidCommand,
      field: 'unitPrices.input',
    });
  });

  it('accepts a price scheduled up to a year ahead, not further', () => {
    expect(when([], setPrice({ input: '1', output: '1' }, { effectiveFrom: '2027-06-01T00:00:00Z' }))).toHaveLength(1);
    expect(refusal(() => when([], setPrice({ input: '1', output: '1' }, { effectiveFrom: '2028-01-01T00:00:00Z' })))).toEqual({
      code: ModelSettingsErrorCode.InvalidCommand,
      field: 'effectiveFrom',
    });
  });

  it('a re-rate needs an effective-from in the past, at most a year back', () => {
    expect(refusal(() => when([], setPrice({ input: '1', output: '1' }, { effectiveFrom: '2026-11-22T00:00:00Z', rerate: true })))).toEqual({
      code: ModelSettingsErrorCode.InvalidCommand,
      field: 'effectiveFrom',
    });
    expect(refusal(() => when([], setPrice({ input: '1', output: '1' }, { effectiveFrom: '2025-01-01T00:00:00Z', rerate: true })))).toEqual({
      code: ModelSettingsErrorCode.InvalidCommand,
      field: 'effectiveFrom',
    });
    const [event] = when([], setPrice({ input: '1', output: '1' }, { effectiveFrom: '2026-11-01T00:00:00Z', rerate: true }));
    expect(event).toMatchObject({ type: 'ModelPricingSet', data: { rerate: true, effectiveFrom: '2026-11-01T00:00:00.000Z' } });
  });

  it('sets an API key as a secret ref and a masked hint only', () => {
    const events = when([], setKey('sec_1'));
    expect(events).toEqual([
      {
        type: 'ModelApiKeySet',
        data: { ...scope, provider: 'openai', model: 'gpt-4o', secretRef: 'sec_1', hint: '••••abcd', setBy: 'u-admin', setAt: AT },
      },
    ]);
    expect(findModel(foldModelSettings(events), 'openai', 'gpt-4o')?.apiKey?.secretRef).toBe('sec_1');
    expect(when(events, setKey('sec_1'))).toEqual([]);
    expect(when(events, setKey('sec_2'))).toHaveLength(1);
  });

  it('clears a set key; clearing a key that is not set changes nothing', () => {
    const history = when([], setKey('sec_1'));
    const cleared = when(history, clearKey);
    expect(cleared).toEqual([
      { type: 'ModelApiKeyCleared', data: { ...scope, provider: 'openai', model: 'gpt-4o', clearedBy: 'u-admin', clearedAt: AT } },
    ]);
    expect(findModel(foldModelSettings([...history, ...cleared]), 'openai', 'gpt-4o')?.apiKey).toBeUndefined();
    expect(when([...history, ...cleared], clearKey)).toEqual([]);
    expect(when([], clearKey)).toEqual([]);
  });

  it('keeps prices when the key changes, and the key when prices change', () => {
    const history = [...when([], setPrice({ input: '1', output: '2' })), ...when([], setKey('sec_1'))];
    const entry = findModel(foldModelSettings(history), 'openai', 'gpt-4o');
    expect(entry?.prices).toHaveLength(1);
    expect(entry?.apiKey?.hint).toBe('••••abcd');
  });
});
