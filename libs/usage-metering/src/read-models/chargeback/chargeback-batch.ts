/**
 * The chargeback projection's batch arithmetic, pure (no database): a batch of
 * new calls and corrections folded into signed sums per rollup cell (15-minute,
 * hour and day cells of a workspace × agent × provider × model) and per
 * statement line (workspace × month × job × provider × model × prices). The
 * writer then sends one row per cell and line touched, however many events the
 * batch holds.
 */
import type { UsageCorrectedData, UsageRecordedData } from '@steward/contracts';
import { ExactSum, plainNegated, plainSum } from './exact-decimal';
import { UNPRICED_KEY, linePrices, pricesOfKey, type LinePrices } from './line-prices';
import { DAY_MS, HOUR_MS, QUARTER_MS } from './time-buckets';

const GRAIN_MS = { 15: QUARTER_MS, 60: HOUR_MS, 1440: DAY_MS } as const;

/** First day of the call's UTC month, `YYYY-MM-01`. */
export function monthOf(time: string | Date): string {
  return `${new Date(time).toISOString().slice(0, 7)}-01`;
}

/** UTC months by UTC day (epoch day number): `YYYY-MM-01`. */
const months = new Map<number, string>();
function monthOfInstant(instant: number): string {
  const day = Math.floor(instant / DAY_MS);
  let month = months.get(day);
  if (month === undefined) {
    month = monthOf(new Date(instant));
    if (months.size > 10_000) months.clear();
    months.set(day, month);
  }
  return month;
}

/** The counters of a rollup cell (a call, a correction's delta, or the sum of many); cost exact. */
export interface Counters<Cost = ExactSum> {
  calls: number;
  errors: number;
  unpriced: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  reasoning: number;
  cost: Cost;
  latencySum: number;
  latencyCount: number;
}

/** Which rollup rows a call counts in: its workspace × agent × provider × model. */
interface CellDimensions {
  organizationId: string;
  workspaceId: string;
  agent: string;
  provider: string;
  model: string;
}

/** One 15-minute cell of one workspace × agent × provider × model. */
export interface RollupCell extends CellDimensions, Counters<ExactSum> {
  quarter: number;
}

/** A rollup row to write: a cell at one grain (minutes), starting at `start` (epoch ms, UTC-aligned). */
export interface RollupRow extends RollupCell {
  grain: 15 | 60 | 1440;
  start: number;
}

/** One statement line's signed change. */
export interface StatementLine {
  organizationId: string;
  workspaceId: string;
  month: string;
  jobId: string;
  provider: string;
  model: string;
  prices: LinePrices;
  calls: number;
  unpriced: number;
  input: number;
  cacheRead: number;
  cacheCreation: number;
  output: number;
  reasoning: number;
  cost: ExactSum;
}

/** A call's (or a correction's) contribution to the cells of its time. */
export interface CellChange extends CellDimensions, Counters<string> {
  time: string;
}

export type LineChange = Omit<StatementLine, 'cost' | 'month'> & { time: string; cost: string };

/** A batch's corrections as signed changes to cells and statement lines. */
export interface CorrectionChanges {
  readonly cells: CellChange[];
  readonly lines: LineChange[];
}

/** A new call of the batch and the prices of its statement line. */
export interface RecordedCall {
  readonly data: UsageRecordedData;
  readonly prices: LinePrices;
}

function emptyCounters(): Counters {
  return { calls: 0, errors: 0, unpriced: 0, input: 0, output: 0, cacheRead: 0, cacheCreation: 0, reasoning: 0, cost: new ExactSum(), latencySum: 0, latencyCount: 0 };
}

function addCounters(into: Counters, from: Omit<Counters, 'cost'>): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.unpriced += from.unpriced;
  into.input += from.input;
  into.output += from.output;
  into.cacheRead += from.cacheRead;
  into.cacheCreation += from.cacheCreation;
  into.reasoning += from.reasoning;
  into.latencySum += from.latencySum;
  into.latencyCount += from.latencyCount;
}

const COUNTED = ['calls', 'errors', 'unpriced', 'input', 'output', 'cacheRead', 'cacheCreation', 'reasoning', 'latencySum', 'latencyCount'] as const;

/**
 * A batch's changes summed in memory: per 15-minute cell × dimensions, and
 * per statement line.
 */
export class BatchSums {
  readonly cells = new Map<string, RollupCell>();
  readonly lines = new Map<string, StatementLine>();

  addCell(change: CellChange): void {
    const instant = Date.parse(change.time);
    const quarter = Math.floor(instant / QUARTER_MS) * QUARTER_MS;
    const key = `${change.workspaceId}\u0000${quarter}\u0000${change.agent}\u0000${change.provider}\u0000${change.model}`;
    let cell = this.cells.get(key);
    if (!cell) {
      const { organizationId, workspaceId, agent, provider, model } = change;
      cell = { organizationId, workspaceId, quarter, agent, provider, model, ...emptyCounters() };
      this.cells.set(key, cell);
    }
    addCounters(cell, change);
    cell.cost.add(change.cost);
  }

  addLine(change: LineChange): void {
    const month = monthOfInstant(Date.parse(change.time));
    const key = `${change.workspaceId}\u0000${month}\u0000${change.jobId}\u0000${change.provider}\u0000${change.model}\u0000${change.prices.key}`;
    let line = this.lines.get(key);
    if (!line) {
      const { organizationId, workspaceId, jobId, provider, model, prices } = change;
      line = { organizationId, workspaceId, month, jobId, provider, model, prices, calls: 0, unpriced: 0, input: 0, cacheRead: 0, cacheCreation: 0, output: 0, reasoning: 0, cost: new ExactSum() };
      this.lines.set(key, line);
    }
    line.calls += change.calls;
    line.unpriced += change.unpriced;
    line.input += change.input;
    line.cacheRead += change.cacheRead;
    line.cacheCreation += change.cacheCreation;
    line.output += change.output;
    line.reasoning += change.reasoning;
    line.cost.add(change.cost);
  }

  get empty(): boolean {
    return this.cells.size === 0 && this.lines.size === 0;
  }

  /** True when every count, and so every cell and line built from them, stays within a JS number's exact integers. */
  get exact(): boolean {
    const totals = new Map<string, number>();
    const count = (name: string, value: number): void => {
      totals.set(name, (totals.get(name) ?? 0) + Math.abs(value));
    };
    for (const cell of this.cells.values()) {
      for (const name of COUNTED) count(name, cell[name]);
    }
    for (const line of this.lines.values()) {
      for (const name of COUNTED) if (name in line) count(`line.${name}`, line[name as keyof StatementLine] as number);
    }
    return [...totals.values()].every((total) => Number.isSafeInteger(total));
  }

  /** The 15-minute cells, then the same cells rolled up to the UTC hour and day: every rollup row the batch touches, each once. */
  rollupRows(): RollupRow[] {
    const rows: RollupRow[] = [];
    const coarse = new Map<string, RollupRow>();
    for (const cell of this.cells.values()) {
      rows.push({ ...cell, grain: 15, start: cell.quarter });
      for (const grain of [60, 1440] as const) {
        const start = Math.floor(cell.quarter / GRAIN_MS[grain]) * GRAIN_MS[grain];
        const key = `${grain}\u0000${cell.workspaceId}\u0000${start}\u0000${cell.agent}\u0000${cell.provider}\u0000${cell.model}`;
        let row = coarse.get(key);
        if (!row) {
          row = { ...cell, ...emptyCounters(), grain, start };
          coarse.set(key, row);
        }
        addCounters(row, cell);
        row.cost.add(cell.cost.toString());
      }
    }
    rows.push(...coarse.values());
    return rows;
  }
}

/** Statement lines count billable tokens: input without its cached part, output without its reasoning part (each has its own price). */
function billable(tokens: { input: number; output: number; cacheRead: number; cacheCreation: number; reasoning: number }) {
  return {
    input: tokens.input - tokens.cacheRead - tokens.cacheCreation,
    cacheRead: tokens.cacheRead,
    cacheCreation: tokens.cacheCreation,
    output: tokens.output - tokens.reasoning,
    reasoning: tokens.reasoning,
  };
}

function addRecorded(sums: BatchSums, data: UsageRecordedData, prices: LinePrices): void {
  const unpriced = prices.key === UNPRICED_KEY ? 1 : 0;
  sums.addCell({
    organizationId: data.organizationId,
    workspaceId: data.workspaceId,
    time: data.time,
    agent: data.agent,
    provider: data.provider,
    model: data.model,
    calls: 1,
    errors: data.status === 'error' ? 1 : 0,
    unpriced,
    input: data.inputTokens,
    output: data.outputTokens,
    cacheRead: data.cacheReadInputTokens,
    cacheCreation: data.cacheCreationInputTokens,
    reasoning: data.reasoningOutputTokens,
    cost: data.cost,
    latencySum: data.responseTimeMs,
    latencyCount: 1,
  });
  sums.addLine({
    organizationId: data.organizationId,
    workspaceId: data.workspaceId,
    time: data.time,
    jobId: data.jobId ?? '',
    provider: data.provider,
    model: data.model,
    prices,
    calls: 1,
    unpriced,
    ...billable({
      input: data.inputTokens,
      output: data.outputTokens,
      cacheRead: data.cacheReadInputTokens,
      cacheCreation: data.cacheCreationInputTokens,
      reasoning: data.reasoningOutputTokens,
    }),
    cost: data.cost,
  });
}

const NO_CORRECTIONS: CorrectionChanges = { cells: [], lines: [] };

/**
 * The batch's sums: the corrections' changes and the new calls, in as few
 * parts as keep every count exact. Counts are JS numbers: a batch whose sums
 * would pass 2^53 (a thousand calls of 10^13 milliseconds…) is halved until
 * each part's are exact; the corrections go with the first part.
 */
export function* batchSums(changes: CorrectionChanges, calls: readonly RecordedCall[]): Generator<BatchSums> {
  const sums = new BatchSums();
  for (const change of changes.cells) sums.addCell(change);
  for (const change of changes.lines) sums.addLine(change);
  for (const { data, prices } of calls) addRecorded(sums, data, prices);
  if (sums.exact || calls.length <= 1) {
    yield sums;
    return;
  }
  const half = calls.length >> 1;
  yield* batchSums(changes, calls.slice(0, half));
  yield* batchSums(NO_CORRECTIONS, calls.slice(half));
}

/** A projected call as a correction needs it (a `usage_calls` row; counts as bigint text). */
export interface CallState {
  event_id: string;
  organization_id: string;
  workspace_id: string;
  time: Date;
  job_id: string | null;
  provider: string;
  model: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_creation_tokens: string;
  reasoning_tokens: string;
  cost: string;
  priced: boolean;
  price_key: string;
  corrections: number;
}

/**
 * Applies the batch's corrections in order to the calls they correct (a call
 * may be corrected twice in one batch): the signed changes to cells and
 * statement lines, and the calls' new state. `found` is not modified.
 */
export function foldCorrections(corrections: readonly UsageCorrectedData[], found: readonly CallState[]): { changes: CorrectionChanges; updated: CallState[] } {
  const changes: CorrectionChanges = { cells: [], lines: [] };
  const calls = new Map(found.map((row) => [row.event_id, { ...row }]));
  const touched = new Set<string>();
  for (const correction of corrections) {
    const call = calls.get(correction.usageEventId);
    const prices = linePrices(correction.pricing);
    const nowUnpriced = prices.key === UNPRICED_KEY;
    const unpricedChange = call ? (nowUnpriced ? 1 : 0) - (call.priced ? 0 : 1) : 0;
    changes.cells.push({
      organizationId: correction.organizationId,
      workspaceId: correction.workspaceId,
      time: correction.time,
      agent: correction.agent,
      provider: correction.provider,
      model: correction.model,
      calls: 0,
      errors: 0,
      unpriced: unpricedChange,
      input: 0,
      output: 0,
      cacheRead: 0,
      cacheCreation: 0,
      reasoning: 0,
      cost: correction.delta,
      latencySum: 0,
      latencyCount: 0,
    });
    const base = {
      organizationId: correction.organizationId,
      workspaceId: correction.workspaceId,
      time: correction.time,
      provider: correction.provider,
      model: correction.model,
    };
    if (!call) {
      // not projected (cannot happen when the store holds the UsageRecorded): the money still lands, on the new price's line
      changes.lines.push({ ...base, jobId: '', prices, calls: 0, unpriced: 0, input: 0, cacheRead: 0, cacheCreation: 0, output: 0, reasoning: 0, cost: correction.delta });
      continue;
    }
    const tokens = billable({
      input: Number(call.input_tokens),
      output: Number(call.output_tokens),
      cacheRead: Number(call.cache_read_tokens),
      cacheCreation: Number(call.cache_creation_tokens),
      reasoning: Number(call.reasoning_tokens),
    });
    const newCost = plainSum(call.cost, correction.delta);
    // the call leaves the line of its old price …
    changes.lines.push({
      ...base,
      jobId: call.job_id ?? '',
      prices: pricesOfKey(call.price_key),
      calls: -1,
      unpriced: call.priced ? 0 : -1,
      input: -tokens.input,
      cacheRead: -tokens.cacheRead,
      cacheCreation: -tokens.cacheCreation,
      output: -tokens.output,
      reasoning: -tokens.reasoning,
      cost: plainNegated(call.cost),
    });
    // … and joins the line of its new one
    changes.lines.push({ ...base, jobId: call.job_id ?? '', prices, calls: 1, unpriced: nowUnpriced ? 1 : 0, ...tokens, cost: newCost });
    call.cost = newCost;
    call.priced = !nowUnpriced;
    call.price_key = prices.key;
    call.corrections += 1;
    touched.add(call.event_id);
  }
  return { changes, updated: [...touched].map((id) => calls.get(id)!) };
}
