import type { ModelPricingSetData, UsageRecordedData } from '@steward/contracts';
import { planDayCorrections, rerateCorrectionIdFor, rerateDays, type DayStreamEvent } from './model-rerate.planner';
import { modelSettingsDecider } from './model-settings.decider';

const scope = { organizationId: 'org-1', workspaceId: 'ws-1' };
const pricing = (effectiveFrom: string, setAt: string, unitPrices = { input: '0.000002', output: '0.000004' }): ModelPricingSetData => ({
  ...scope,
  provider: 'openai',
  model: 'gpt-4o',
  unitPrices,
  effectiveFrom,
  setBy: 'u-admin',
  setAt,
  rerate: true,
});

function recorded(id: string, time: string, cost: string, overrides: Partial<UsageRecordedData> = {}): DayStreamEvent {
  return {
    eventId: id,
    type: 'UsageRecorded',
    data: {
      ...scope,
      usageId: id,
      source: 'test',
      time,
      agent: 'a',
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 1000,
      outputTokens: 100,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
      reasoningOutputTokens: 0,
      responseTimeMs: 1,
      status: 'success',
      cost,
      pricing: { status: 'unpriced' },
      receivedAt: time,
      via: 'http',
      ...overrides,
    },
  };
}

function request(data: ModelPricingSetData) {
  return { pricingEventId: 'p-1', pricing: data, settings: modelSettingsDecider.evolve(modelSettingsDecider.initialState, { type: 'ModelPricingSet', data }) };
}

describe('re-rate planner', () => {
  const set = pricing('2026-11-20T12:00:00.000Z', '2026-11-21T10:00:00.000Z');

  it('reads every UTC day from effective-from to when the price was set', () => {
    expect(rerateDays(set).map((day) => day.toISOString().slice(0, 10))).toEqual(['2026-11-20', '2026-11-21']);
    expect(rerateDays(pricing('2026-11-21T09:00:00.000Z', '2026-11-21T10:00:00.000Z'))).toHaveLength(1);
  });

  it('corrects the calls of the model within [effectiveFrom, setAt] whose cost differs, chaining from the latest correction', () => {
    const events: DayStreamEvent[] = [
      recorded('in-range', '2026-11-20T13:00:00.000Z', '0.1'),
      recorded('before', '2026-11-20T11:59:59.999Z', '0.1'),
      recorded('after-set', '2026-11-21T10:00:00.001Z', '0.1'),
      recorded('other-model', '2026-11-20T13:00:00.000Z', '0.1', { model: 'gpt-4o-mini' }),
      recorded('already-right', '2026-11-20T14:00:00.000Z', '0.0024'),
      recorded('corrected-before', '2026-11-20T15:00:00.000Z', '0.1'),
      { eventId: 'c-0', type: 'UsageCorrected', data: { ...scope, usageEventId: 'corrected-before', usageId: 'x', source: 'test', time: '2026-11-20T15:00:00.000Z', agent: 'a', provider: 'openai', model: 'gpt-4o', previousCost: '0.1', cost: '0.5', delta: '0.4', pricing: { status: 'unpriced' }, reason: 'earlier', correctedAt: '2026-11-20T16:00:00.000Z' } },
    ];
    const planned = planDayCorrections(request(set), events);
    expect(planned.map((correction) => correction.data.usageEventId)).toEqual(['in-range', 'corrected-before']);
    // 1000 × 0.000002 + 100 × 0.000004 = 0.0024
    expect(planned[0]!.data).toMatchObject({ previousCost: '0.1', cost: '0.0024', delta: '-0.0976' });
    expect(planned[1]!.data).toMatchObject({ previousCost: '0.5', cost: '0.0024', delta: '-0.4976' });
    expect(planned[0]!.eventId).toBe(rerateCorrectionIdFor('p-1', 'in-range'));
  });

  it('a call this re-rate already corrected is left alone (a rerun corrects nothing twice)', () => {
    const first = [recorded('in-range', '2026-11-20T13:00:00.000Z', '0.1')];
    const [correction] = planDayCorrections(request(set), first);
    const after: DayStreamEvent[] = [...first, { eventId: correction!.eventId, type: 'UsageCorrected', data: correction!.data }];
    expect(planDayCorrections(request(set), after)).toEqual([]);
  });
});
