import { usageEventIdFor, type UsageCorrectedData, type UsagePricing, type UsageRecordedData } from '@steward/contracts';
import { batchSums, foldCorrections, type BatchSums, type CallState, type RecordedCall } from './chargeback-batch';
import { UNPRICED_KEY, linePrices } from './line-prices';
import { recordedData, usageCorrectedEvent } from './testing/usage-fixtures';

const ORG = 'org-1';
const CATALOGUE: UsagePricing = { status: 'priced', source: 'catalogue', ref: 'test', unitPrices: { input: '0.000005', output: '0.00001' } };
const CATALOGUE_KEY = '0.000005|0.000005|0.000005|0.00001|0.00001';
const RAISED: UsagePricing = { status: 'priced', source: 'workspace', ref: 'raise', unitPrices: { input: '0.0000060', output: '0.000012' } };
const RAISED_KEY = '0.000006|0.000006|0.000006|0.000012|0.000012';
const UNPRICED: UsagePricing = { status: 'unpriced' };

function call(overrides: Partial<UsageRecordedData> & Pick<UsageRecordedData, 'workspaceId' | 'time'>): RecordedCall {
  const data = recordedData({ organizationId: ORG, pricing: CATALOGUE, ...overrides });
  return { data, prices: linePrices(data.pricing) };
}

/** The only (or the single exact) part of a batch. */
function sumsOf(...args: Parameters<typeof batchSums>): BatchSums {
  const parts = [...batchSums(...args)];
  expect(parts).toHaveLength(1);
  return parts[0]!;
}

const NONE = { cells: [], lines: [] };

/** Rollup rows as `grain workspace start agent model` → counters, cost as exact text. */
function rollups(sums: BatchSums): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {};
  for (const row of sums.rollupRows()) {
    const { calls, errors, unpriced, input, output, cacheRead, cacheCreation, reasoning, latencySum, latencyCount } = row;
    out[`${row.grain} ${row.workspaceId} ${new Date(row.start).toISOString()} ${row.agent} ${row.model}`] = {
      calls,
      errors,
      unpriced,
      input,
      output,
      cacheRead,
      cacheCreation,
      reasoning,
      latencySum,
      latencyCount,
      cost: row.cost.toString(),
    };
  }
  return out;
}

/** Statement lines as `workspace month job model price_key` → counters, cost as exact text. */
function lines(sums: BatchSums): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {};
  for (const line of sums.lines.values()) {
    const { calls, unpriced, input, cacheRead, cacheCreation, output, reasoning } = line;
    out[`${line.workspaceId} ${line.month} ${line.jobId || '-'} ${line.model} ${line.prices.key}`] = { calls, unpriced, input, cacheRead, cacheCreation, output, reasoning, cost: line.cost.toString() };
  }
  return out;
}

const counters = (values: Partial<Record<string, number | string>>) => ({
  calls: 0,
  errors: 0,
  unpriced: 0,
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheCreation: 0,
  reasoning: 0,
  latencySum: 0,
  latencyCount: 0,
  cost: '0',
  ...values,
});
const lineCounters = (values: Partial<Record<string, number | string>>) => ({ calls: 0, unpriced: 0, input: 0, cacheRead: 0, cacheCreation: 0, output: 0, reasoning: 0, cost: '0', ...values });

describe('chargeback batch sums', () => {
  it('sums calls per 15-minute cell of workspace × agent × model, and rolls the cells up to the UTC hour and day, exactly', () => {
    const sums = sumsOf(NONE, [
      call({ workspaceId: 'ws-a', time: '2026-06-10T10:07:00Z', cost: '0.1', inputTokens: 100, outputTokens: 50, responseTimeMs: 200 }),
      call({
        workspaceId: 'ws-a',
        time: '2026-06-10T10:14:59.999Z',
        cost: '0.2',
        status: 'error',
        errorType: 'rate_limit',
        inputTokens: 1000,
        cacheReadInputTokens: 300,
        cacheCreationInputTokens: 200,
        outputTokens: 400,
        reasoningOutputTokens: 150,
        responseTimeMs: 300,
      }),
      call({ workspaceId: 'ws-a', time: '2026-06-10T10:15:00Z', cost: '0.000000000001', inputTokens: 1, outputTokens: 1, responseTimeMs: 10 }),
      call({ workspaceId: 'ws-a', time: '2026-06-10T11:59:00Z', cost: '0.7', inputTokens: 10, outputTokens: 5, responseTimeMs: 1 }),
      call({ workspaceId: 'ws-a', time: '2026-06-10T10:08:00Z', agent: 'agent-b', cost: '0.4', inputTokens: 7, outputTokens: 3, responseTimeMs: 5 }),
      call({ workspaceId: 'ws-b', time: '2026-06-10T10:07:00Z', cost: '0.3', inputTokens: 2, outputTokens: 1, responseTimeMs: 4 }),
    ]);

    const first = { calls: 2, errors: 1, input: 1100, output: 450, cacheRead: 300, cacheCreation: 200, reasoning: 150, latencySum: 500, latencyCount: 2, cost: '0.3' };
    const second = { calls: 1, input: 1, output: 1, latencySum: 10, latencyCount: 1, cost: '0.000000000001' };
    const late = { calls: 1, input: 10, output: 5, latencySum: 1, latencyCount: 1, cost: '0.7' };
    const agentB = { calls: 1, input: 7, output: 3, latencySum: 5, latencyCount: 1, cost: '0.4' };
    const otherWorkspace = { calls: 1, input: 2, output: 1, latencySum: 4, latencyCount: 1, cost: '0.3' };
    expect(rollups(sums)).toEqual({
      '15 ws-a 2026-06-10T10:00:00.000Z agent-a gpt-4o': counters(first),
      '15 ws-a 2026-06-10T10:15:00.000Z agent-a gpt-4o': counters(second),
      '15 ws-a 2026-06-10T11:45:00.000Z agent-a gpt-4o': counters(late),
      '15 ws-a 2026-06-10T10:00:00.000Z agent-b gpt-4o': counters(agentB),
      '15 ws-b 2026-06-10T10:00:00.000Z agent-a gpt-4o': counters(otherWorkspace),
      '60 ws-a 2026-06-10T10:00:00.000Z agent-a gpt-4o': counters({ ...first, calls: 3, input: 1101, output: 451, latencySum: 510, latencyCount: 3, cost: '0.300000000001' }),
      '60 ws-a 2026-06-10T11:00:00.000Z agent-a gpt-4o': counters(late),
      '60 ws-a 2026-06-10T10:00:00.000Z agent-b gpt-4o': counters(agentB),
      '60 ws-b 2026-06-10T10:00:00.000Z agent-a gpt-4o': counters(otherWorkspace),
      '1440 ws-a 2026-06-10T00:00:00.000Z agent-a gpt-4o': counters({ ...first, calls: 4, input: 1111, output: 456, latencySum: 511, latencyCount: 4, cost: '1.000000000001' }),
      '1440 ws-a 2026-06-10T00:00:00.000Z agent-b gpt-4o': counters(agentB),
      '1440 ws-b 2026-06-10T00:00:00.000Z agent-a gpt-4o': counters(otherWorkspace),
    });
  });

  it('sums statement lines per workspace × UTC month × job × model × prices, counting billable tokens (cached and reasoning apart)', () => {
    const sums = sumsOf(NONE, [
      call({ workspaceId: 'ws-a', time: '2026-06-30T23:59:59.999Z', cost: '0.00775', inputTokens: 1000, cacheReadInputTokens: 300, cacheCreationInputTokens: 200, outputTokens: 400, reasoningOutputTokens: 150 }),
      call({ workspaceId: 'ws-a', time: '2026-06-01T00:00:00Z', cost: '0.00025', inputTokens: 100, outputTokens: 50 }),
      call({ workspaceId: 'ws-a', time: '2026-07-01T00:00:00Z', cost: '0.001', inputTokens: 100, outputTokens: 50 }),
      call({ workspaceId: 'ws-a', time: '2026-06-15T12:00:00Z', jobId: 'job-1', cost: '0.002', inputTokens: 200, outputTokens: 100 }),
      call({ workspaceId: 'ws-a', time: '2026-06-15T12:00:00Z', pricing: RAISED, cost: '0.0012', inputTokens: 100, outputTokens: 50 }),
      call({ workspaceId: 'ws-a', time: '2026-06-15T12:00:00Z', pricing: UNPRICED, cost: '0', inputTokens: 100, outputTokens: 50 }),
      call({ workspaceId: 'ws-b', time: '2026-06-15T12:00:00Z', cost: '0.5', inputTokens: 1, outputTokens: 1 }),
    ]);

    expect(lines(sums)).toEqual({
      [`ws-a 2026-06-01 - gpt-4o ${CATALOGUE_KEY}`]: lineCounters({ calls: 2, input: 600, cacheRead: 300, cacheCreation: 200, output: 300, reasoning: 150, cost: '0.008' }),
      [`ws-a 2026-07-01 - gpt-4o ${CATALOGUE_KEY}`]: lineCounters({ calls: 1, input: 100, output: 50, cost: '0.001' }),
      [`ws-a 2026-06-01 job-1 gpt-4o ${CATALOGUE_KEY}`]: lineCounters({ calls: 1, input: 200, output: 100, cost: '0.002' }),
      [`ws-a 2026-06-01 - gpt-4o ${RAISED_KEY}`]: lineCounters({ calls: 1, input: 100, output: 50, cost: '0.0012' }),
      [`ws-a 2026-06-01 - gpt-4o ${UNPRICED_KEY}`]: lineCounters({ calls: 1, unpriced: 1, input: 100, output: 50 }),
      [`ws-b 2026-06-01 - gpt-4o ${CATALOGUE_KEY}`]: lineCounters({ calls: 1, input: 1, output: 1, cost: '0.5' }),
    });
    const unpricedLine = [...sums.lines.values()].find((line) => line.prices.key === UNPRICED_KEY)!;
    expect([unpricedLine.prices.input, unpricedLine.prices.output, unpricedLine.prices.reasoning]).toEqual([null, null, null]);
    expect(rollups(sums)['1440 ws-a 2026-06-15T00:00:00.000Z agent-a gpt-4o']).toMatchObject({ calls: 3, unpriced: 1 });
  });

  it('adds the same sums whatever the order of the calls', () => {
    const calls = Array.from({ length: 40 }, (_, n) =>
      call({ workspaceId: `ws-${n % 3}`, time: new Date(Date.UTC(2026, 5, 10, 9, 0) + n * 7 * 60_000).toISOString(), agent: `agent-${n % 2}`, cost: `0.${String(n + 1).padStart(12, '0')}` }),
    );
    const forwards = sumsOf(NONE, calls);
    const backwards = sumsOf(NONE, [...calls].reverse());
    expect(rollups(backwards)).toEqual(rollups(forwards));
    expect(lines(backwards)).toEqual(lines(forwards));
  });

  it('splits a batch whose counts would pass 2^53 into parts that each stay exact, and that together hold every call', () => {
    const slow = 2 ** 52;
    const calls = [0, 1, 2, 3].map((n) => call({ workspaceId: 'ws-a', time: `2026-03-03T10:0${n}:00Z`, responseTimeMs: slow, cost: '0.25' }));
    const parts = [...batchSums(NONE, calls)];

    expect(parts).toHaveLength(4);
    for (const part of parts) expect(part.exact).toBe(true);
    const total = (pick: (row: ReturnType<BatchSums['rollupRows']>[number]) => number) =>
      parts.flatMap((part) => part.rollupRows().filter((row) => row.grain === 1440)).reduce((sum, row) => sum + BigInt(pick(row)), 0n);
    expect(total((row) => row.latencySum)).toBe(4n * BigInt(slow));
    expect(total((row) => row.calls)).toBe(4n);
  });
});

describe('chargeback corrections', () => {
  const original = recordedData({
    organizationId: ORG,
    workspaceId: 'ws-a',
    time: '2026-06-10T10:07:00Z',
    inputTokens: 1000,
    cacheReadInputTokens: 300,
    cacheCreationInputTokens: 200,
    outputTokens: 400,
    reasoningOutputTokens: 150,
    cost: '0.2',
    pricing: CATALOGUE,
  });
  const eventId = usageEventIdFor(original.workspaceId, original.source, original.usageId);
  const stored: CallState = {
    event_id: eventId,
    organization_id: ORG,
    workspace_id: 'ws-a',
    time: new Date(original.time),
    job_id: null,
    provider: 'openai',
    model: 'gpt-4o',
    input_tokens: '1000',
    output_tokens: '400',
    cache_read_tokens: '300',
    cache_creation_tokens: '200',
    reasoning_tokens: '150',
    // as PostgreSQL's numeric text gives it back
    cost: '0.2000',
    priced: true,
    price_key: CATALOGUE_KEY,
    corrections: 0,
  };
  const correction = (previousCost: string, cost: string, delta: string, pricing: UsagePricing, recorded = original): UsageCorrectedData =>
    usageCorrectedEvent(recorded, previousCost, cost, delta, pricing).event.data as UsageCorrectedData;

  it('moves a re-priced call from its old line to its new one and adds only the delta to its cells; two corrections in one batch apply in order', () => {
    const before = { ...stored };
    const { changes, updated } = foldCorrections([correction('0.2', '0.25', '0.05', RAISED), correction('0.25', '0.24', '-0.01', RAISED)], [stored]);
    const sums = sumsOf(changes, []);

    expect(rollups(sums)).toEqual({
      '15 ws-a 2026-06-10T10:00:00.000Z agent-a gpt-4o': counters({ cost: '0.04' }),
      '60 ws-a 2026-06-10T10:00:00.000Z agent-a gpt-4o': counters({ cost: '0.04' }),
      '1440 ws-a 2026-06-10T00:00:00.000Z agent-a gpt-4o': counters({ cost: '0.04' }),
    });
    expect(lines(sums)).toEqual({
      [`ws-a 2026-06-01 - gpt-4o ${CATALOGUE_KEY}`]: lineCounters({ calls: -1, input: -500, cacheRead: -300, cacheCreation: -200, output: -250, reasoning: -150, cost: '-0.2' }),
      [`ws-a 2026-06-01 - gpt-4o ${RAISED_KEY}`]: lineCounters({ calls: 1, input: 500, cacheRead: 300, cacheCreation: 200, output: 250, reasoning: 150, cost: '0.24' }),
    });
    expect(updated).toEqual([{ ...stored, cost: '0.24', priced: true, price_key: RAISED_KEY, corrections: 2 }]);
    expect(stored).toEqual(before);
  });

  it('counts an unpriced call as priced once a correction prices it', () => {
    const unpricedCall: CallState = { ...stored, cost: '0', priced: false, price_key: UNPRICED_KEY };
    const { changes, updated } = foldCorrections([correction('0', '0.2', '0.2', CATALOGUE)], [unpricedCall]);
    const sums = sumsOf(changes, []);

    expect(rollups(sums)['1440 ws-a 2026-06-10T00:00:00.000Z agent-a gpt-4o']).toEqual(counters({ unpriced: -1, cost: '0.2' }));
    expect(lines(sums)).toEqual({
      [`ws-a 2026-06-01 - gpt-4o ${UNPRICED_KEY}`]: lineCounters({ calls: -1, unpriced: -1, input: -500, cacheRead: -300, cacheCreation: -200, output: -250, reasoning: -150 }),
      [`ws-a 2026-06-01 - gpt-4o ${CATALOGUE_KEY}`]: lineCounters({ calls: 1, input: 500, cacheRead: 300, cacheCreation: 200, output: 250, reasoning: 150, cost: '0.2' }),
    });
    expect(updated).toMatchObject([{ cost: '0.2', priced: true, price_key: CATALOGUE_KEY, corrections: 1 }]);
  });

  it('lands the delta of a correction whose call is not projected on the new price’s line, moving no call', () => {
    const unknown = recordedData({ organizationId: ORG, workspaceId: 'ws-b', time: '2026-06-11T00:01:00Z', cost: '0.1' });
    const { changes, updated } = foldCorrections([correction('0.1', '0.15', '0.05', RAISED, unknown)], [stored]);
    const sums = sumsOf(changes, []);

    expect(updated).toEqual([]);
    expect(lines(sums)).toEqual({ [`ws-b 2026-06-01 - gpt-4o ${RAISED_KEY}`]: lineCounters({ cost: '0.05' }) });
    expect(rollups(sums)['15 ws-b 2026-06-11T00:00:00.000Z agent-a gpt-4o']).toEqual(counters({ cost: '0.05' }));
  });

  it('adds corrections and new calls of one batch into the same cells', () => {
    const { changes } = foldCorrections([correction('0.2', '0.25', '0.05', RAISED)], [stored]);
    const sums = sumsOf(changes, [call({ workspaceId: 'ws-a', time: '2026-06-10T10:01:00Z', cost: '0.000001', inputTokens: 1, outputTokens: 1, responseTimeMs: 9 })]);

    expect(rollups(sums)['15 ws-a 2026-06-10T10:00:00.000Z agent-a gpt-4o']).toEqual(counters({ calls: 1, input: 1, output: 1, latencySum: 9, latencyCount: 1, cost: '0.050001' }));
  });
});
