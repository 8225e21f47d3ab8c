import Decimal from 'decimal.js';
import { sql, type CreateTableBuilder, type Kysely, type Transaction } from 'kysely';
import { USAGE_STREAM_PREFIX, type UsageCorrectedData, type UsagePricing, type UsageRecordedData } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema } from '@steward/projections';
import { ExactSum, plainArray, textArray } from './batch-values';
import type { ChargebackDB } from './chargeback-db';

export const CHARGEBACK_PROJECTION = 'chargeback';
/** `rm_chargeback`: ChargebackRepository reads it. */
export const CHARGEBACK_SCHEMA = projectionSchema(CHARGEBACK_PROJECTION);

/** Exact decimals, never exponent notation. */
const Exact = Decimal.clone({ precision: 60, toExpNeg: -9e15, toExpPos: 9e15 });

function text(value: Decimal.Value): string {
  const decimal = new Exact(value);
  return decimal.isZero() ? '0' : decimal.toFixed();
}

/** The five unit prices of a line, fallbacks resolved (a missing cache price is the input price, a missing reasoning price the output price). */
export interface LinePrices {
  readonly key: string;
  readonly input: string | null;
  readonly cacheRead: string | null;
  readonly cacheCreation: string | null;
  readonly output: string | null;
  readonly reasoning: string | null;
}

export const UNPRICED_KEY = 'unpriced';

const UNPRICED: LinePrices = { key: UNPRICED_KEY, input: null, cacheRead: null, cacheCreation: null, output: null, reasoning: null };
/** Resolved prices by the unit prices as the event states them (a batch repeats a handful of prices thousands of times); bounded. */
const resolved = new Map<string, LinePrices>();

export function linePrices(pricing: UsagePricing): LinePrices {
  if (pricing.status === 'unpriced') return UNPRICED;
  const unit = pricing.unitPrices;
  const stated = `${unit.input}|${unit.cacheRead ?? ''}|${unit.cacheCreation ?? ''}|${unit.output}|${unit.reasoningOutput ?? ''}`;
  let prices = resolved.get(stated);
  if (!prices) {
    prices = resolvePrices(unit);
    if (resolved.size >= 10_000) resolved.clear();
    resolved.set(stated, prices);
  }
  return prices;
}

function resolvePrices(unit: Extract<UsagePricing, { status: 'priced' }>['unitPrices']): LinePrices {
  const input = text(unit.input);
  const output = text(unit.output);
  const cacheRead = text(unit.cacheRead ?? unit.input);
  const cacheCreation = text(unit.cacheCreation ?? unit.input);
  const reasoning = text(unit.reasoningOutput ?? unit.output);
  return { key: [input, cacheRead, cacheCreation, output, reasoning].join('|'), input, cacheRead, cacheCreation, output, reasoning };
}

function pricesOfKey(key: string): LinePrices {
  if (key === UNPRICED_KEY) return { key, input: null, cacheRead: null, cacheCreation: null, output: null, reasoning: null };
  const [input, cacheRead, cacheCreation, output, reasoning] = key.split('|') as [string, string, string, string, string];
  return { key, input, cacheRead, cacheCreation, output, reasoning };
}

/** First day of the call's UTC month, `YYYY-MM-01`. */
export function monthOf(time: string | Date): string {
  return `${new Date(time).toISOString().slice(0, 7)}-01`;
}

const QUARTER_MS = 15 * 60_000;
const GRAIN_MS = { 15: QUARTER_MS, 60: 60 * 60_000, 1440: 24 * 60 * 60_000 } as const;

/** The counters of a rollup cell (a call, a correction's delta, or the sum of many); cost exact. */
interface Counters<Cost = ExactSum> {
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
interface Cell extends CellDimensions, Counters<ExactSum> {
  quarter: number;
}

/** One statement line's signed change. */
interface Line {
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
interface CellChange extends CellDimensions, Counters<string> {
  time: string;
}

type LineChange = Omit<Line, 'cost' | 'month'> & { time: string; cost: string };

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

/** UTC months by UTC day (epoch day number): `YYYY-MM-01`. */
const months = new Map<number, string>();
function monthOfInstant(instant: number): string {
  const day = Math.floor(instant / GRAIN_MS[1440]);
  let month = months.get(day);
  if (month === undefined) {
    month = monthOf(new Date(instant));
    if (months.size > 10_000) months.clear();
    months.set(day, month);
  }
  return month;
}

/**
 * A batch's changes summed in memory: per 15-minute cell × dimensions, and
 * per statement line. What is written is one row per cell and line touched,
 * however many events the batch holds.
 */
class BatchSums {
  readonly cells = new Map<string, Cell>();
  readonly lines = new Map<string, Line>();

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
      for (const name of COUNTED) if (name in line) count(`line.${name}`, line[name as keyof Line] as number);
    }
    return [...totals.values()].every((total) => Number.isSafeInteger(total));
  }
}

const COUNTED = ['calls', 'errors', 'unpriced', 'input', 'output', 'cacheRead', 'cacheCreation', 'reasoning', 'latencySum', 'latencyCount'] as const;

interface CallState {
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

function billable(tokens: { input: number; output: number; cacheRead: number; cacheCreation: number; reasoning: number }) {
  return {
    input: tokens.input - tokens.cacheRead - tokens.cacheCreation,
    cacheRead: tokens.cacheRead,
    cacheCreation: tokens.cacheCreation,
    output: tokens.output - tokens.reasoning,
    reasoning: tokens.reasoning,
  };
}

type Recorded = { event: RecordedEvent; data: UsageRecordedData; prices: LinePrices };

/**
 * Inserts the batch's calls in one statement; answers the ids that were new (a
 * redelivered event's row is already there). `calls` holds each event once.
 * (An anti-join instead of ON CONFLICT was no faster, and the planner made it
 * a merge join over the whole table.)
 */
async function insertCalls(trx: Transaction<ChargebackDB>, calls: readonly Recorded[]): Promise<Set<string>> {
  if (calls.length === 0) return new Set();
  const texts = (pick: (call: Recorded) => string | null | undefined): string => textArray(calls.map((call) => pick(call) ?? null));
  const numbers = (pick: (call: Recorded) => number): string => plainArray(calls.map(pick));
  const result = await sql<{ event_id: string }>`
    INSERT INTO usage_calls (event_id, organization_id, workspace_id, usage_id, source, time, agent, provider, model,
      input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
      cost, response_time_ms, status, error_type, priced, price_key, job_id, corrections, received_at)
    SELECT e.event_id, e.organization_id, e.workspace_id, e.usage_id, e.source, e.time, e.agent, e.provider, e.model,
      e.input_tokens, e.output_tokens, e.cache_read_tokens, e.cache_creation_tokens, e.reasoning_tokens, e.input_tokens + e.output_tokens,
      e.cost, e.response_time_ms, e.status, e.error_type, e.price_key <> ${UNPRICED_KEY}, e.price_key, e.job_id, 0, e.received_at
    FROM unnest(${texts((c) => c.event.eventId)}::uuid[], ${texts((c) => c.data.organizationId)}::text[], ${texts((c) => c.data.workspaceId)}::text[],
      ${texts((c) => c.data.usageId)}::text[], ${texts((c) => c.data.source)}::text[], ${texts((c) => c.data.time)}::timestamptz[],
      ${texts((c) => c.data.agent)}::text[], ${texts((c) => c.data.provider)}::text[], ${texts((c) => c.data.model)}::text[],
      ${numbers((c) => c.data.inputTokens)}::bigint[], ${numbers((c) => c.data.outputTokens)}::bigint[], ${numbers((c) => c.data.cacheReadInputTokens)}::bigint[],
      ${numbers((c) => c.data.cacheCreationInputTokens)}::bigint[], ${numbers((c) => c.data.reasoningOutputTokens)}::bigint[],
      ${texts((c) => c.data.cost)}::numeric[], ${numbers((c) => c.data.responseTimeMs)}::bigint[], ${texts((c) => c.data.status)}::text[],
      ${texts((c) => c.data.errorType)}::text[], ${texts((c) => c.prices.key)}::text[], ${texts((c) => c.data.jobId)}::text[],
      ${texts((c) => c.data.receivedAt)}::timestamptz[])
      AS e(event_id, organization_id, workspace_id, usage_id, source, time, agent, provider, model,
        input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens,
        cost, response_time_ms, status, error_type, price_key, job_id, received_at)
    ON CONFLICT (workspace_id, time, event_id) DO NOTHING
    RETURNING event_id`.execute(trx);
  return new Set(result.rows.map((row) => row.event_id));
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

/**
 * Applies the batch's corrections in order against the calls' current state
 * (read once, kept in memory: a call may be corrected twice in one batch).
 */
async function applyCorrections(trx: Transaction<ChargebackDB>, corrections: readonly UsageCorrectedData[]): Promise<CorrectionChanges> {
  const changes: CorrectionChanges = { cells: [], lines: [] };
  if (corrections.length === 0) return changes;
  const keys = [...new Map(corrections.map((correction) => [correction.usageEventId, correction])).values()];
  // a correction carries its call's workspace and time: the calls' key
  const found = await sql<CallState>`
    SELECT c.event_id, c.organization_id, c.workspace_id, c.time, c.job_id, c.provider, c.model, c.input_tokens, c.output_tokens, c.cache_read_tokens,
      c.cache_creation_tokens, c.reasoning_tokens, c.cost::text AS cost, c.priced, c.price_key, c.corrections
    FROM unnest(${textArray(keys.map((k) => k.workspaceId))}::text[], ${textArray(keys.map((k) => k.time))}::timestamptz[],
      ${textArray(keys.map((k) => k.usageEventId))}::uuid[]) AS k(workspace_id, time, event_id)
    JOIN usage_calls c ON c.workspace_id = k.workspace_id AND c.time = k.time AND c.event_id = k.event_id
    FOR UPDATE OF c`.execute(trx);
  const calls = new Map(found.rows.map((row) => [row.event_id, { ...row }]));
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
    const newCost = text(new Exact(call.cost).plus(correction.delta));
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
      cost: text(new Exact(call.cost).negated()),
    });
    // … and joins the line of its new one
    changes.lines.push({ ...base, jobId: call.job_id ?? '', prices, calls: 1, unpriced: nowUnpriced ? 1 : 0, ...tokens, cost: newCost });
    call.cost = newCost;
    call.priced = !nowUnpriced;
    call.price_key = prices.key;
    call.corrections += 1;
    touched.add(call.event_id);
  }
  const updated = [...touched].map((id) => calls.get(id)!);
  if (updated.length === 0) return changes;
  await sql`
    UPDATE usage_calls AS c SET cost = u.cost, priced = u.priced, price_key = u.price_key, corrections = u.corrections
    FROM unnest(${textArray(updated.map((c) => c.workspace_id))}::text[], ${textArray(updated.map((c) => c.time.toISOString()))}::timestamptz[],
      ${textArray(updated.map((c) => c.event_id))}::uuid[], ${textArray(updated.map((c) => c.cost))}::numeric[], ${plainArray(updated.map((c) => c.priced))}::boolean[],
      ${textArray(updated.map((c) => c.price_key))}::text[], ${plainArray(updated.map((c) => c.corrections))}::int[])
      AS u(workspace_id, time, event_id, cost, priced, price_key, corrections)
    WHERE c.workspace_id = u.workspace_id AND c.time = u.time AND c.event_id = u.event_id`.execute(trx);
  return changes;
}

const COUNTERS = ['calls', 'errors', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens', 'cost', 'latency_sum_ms', 'latency_count'];
const addUp = (alias: string) => sql.raw(COUNTERS.map((name) => `${name} = ${alias}.${name} + EXCLUDED.${name}`).join(', '));
const summed = sql.raw(COUNTERS.map((name) => `sum(${name})`).join(', '));
const counterColumns = sql.raw(COUNTERS.join(', '));

/**
 * Writes a batch's sums in ONE statement: the 15-minute cells and their hour
 * and day cells into usage_rollups, the same rows summed over dimensions into
 * the workspace, model and agent rollups, and the statement lines — each an
 * `INSERT … ON CONFLICT DO UPDATE SET col = col + EXCLUDED.col` over rows
 * already unique by key.
 */
async function writeSums(trx: Transaction<ChargebackDB>, batch: BatchSums): Promise<void> {
  if (batch.empty) return;
  // the 15-minute cells, and the same cells rolled up to the UTC hour and day
  const rows: Array<Cell & { grain: 15 | 60 | 1440; start: number }> = [];
  const coarse = new Map<string, Cell & { grain: 60 | 1440; start: number }>();
  for (const cell of batch.cells.values()) {
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
  const lines = [...batch.lines.values()];
  const cellTexts = (pick: (row: (typeof rows)[number]) => string | null): string => textArray(rows.map(pick));
  const cellNumbers = (pick: (row: (typeof rows)[number]) => number): string => plainArray(rows.map(pick));
  const lineTexts = (pick: (line: Line) => string | null): string => textArray(lines.map(pick));
  const lineNumbers = (pick: (line: Line) => number): string => plainArray(lines.map(pick));
  await sql`
    WITH cells AS (
      SELECT * FROM unnest(${cellTexts((r) => r.workspaceId)}::text[], ${cellNumbers((r) => r.grain)}::smallint[],
        ${cellTexts((r) => new Date(r.start).toISOString())}::timestamptz[], ${cellTexts((r) => r.agent)}::text[], ${cellTexts((r) => r.provider)}::text[],
        ${cellTexts((r) => r.model)}::text[], ${cellTexts((r) => r.organizationId)}::text[],
        ${cellNumbers((r) => r.calls)}::bigint[], ${cellNumbers((r) => r.errors)}::bigint[], ${cellNumbers((r) => r.unpriced)}::bigint[],
        ${cellNumbers((r) => r.input)}::bigint[], ${cellNumbers((r) => r.output)}::bigint[], ${cellNumbers((r) => r.cacheRead)}::bigint[],
        ${cellNumbers((r) => r.cacheCreation)}::bigint[], ${cellNumbers((r) => r.reasoning)}::bigint[], ${cellTexts((r) => r.cost.toString())}::numeric[],
        ${cellNumbers((r) => r.latencySum)}::bigint[], ${cellNumbers((r) => r.latencyCount)}::bigint[])
        AS c(workspace_id, grain, bucket_start, agent, provider, model, organization_id, ${counterColumns})
    ),
    by_dimensions AS (
      INSERT INTO usage_rollups AS r (workspace_id, grain, bucket_start, agent, provider, model, organization_id, ${counterColumns})
      SELECT * FROM cells
      ON CONFLICT (workspace_id, grain, bucket_start, agent, provider, model) DO UPDATE SET ${addUp('r')}
    ),
    by_workspace AS (
      INSERT INTO usage_workspace_rollups AS r (workspace_id, grain, bucket_start, organization_id, ${counterColumns})
      SELECT workspace_id, grain, bucket_start, min(organization_id), ${summed} FROM cells GROUP BY workspace_id, grain, bucket_start
      ON CONFLICT (workspace_id, grain, bucket_start) DO UPDATE SET ${addUp('r')}
    ),
    by_model AS (
      INSERT INTO usage_model_rollups AS r (workspace_id, grain, bucket_start, provider, model, organization_id, ${counterColumns})
      SELECT workspace_id, grain, bucket_start, provider, model, min(organization_id), ${summed} FROM cells GROUP BY workspace_id, grain, bucket_start, provider, model
      ON CONFLICT (workspace_id, grain, bucket_start, provider, model) DO UPDATE SET ${addUp('r')}
    ),
    by_agent AS (
      INSERT INTO usage_agent_rollups AS r (workspace_id, agent, grain, bucket_start, organization_id, ${counterColumns})
      SELECT workspace_id, agent, grain, bucket_start, min(organization_id), ${summed} FROM cells GROUP BY workspace_id, agent, grain, bucket_start
      ON CONFLICT (workspace_id, agent, grain, bucket_start) DO UPDATE SET ${addUp('r')}
    )
    INSERT INTO usage_statement_lines AS s (workspace_id, month, job_id, provider, model, price_key, organization_id,
      price_input, price_cache_read, price_cache_creation, price_output, price_reasoning,
      calls, unpriced_calls, input_tokens, cache_read_tokens, cache_creation_tokens, output_tokens, reasoning_tokens, cost)
    SELECT * FROM unnest(${lineTexts((l) => l.workspaceId)}::text[], ${lineTexts((l) => l.month)}::date[], ${lineTexts((l) => l.jobId)}::text[],
      ${lineTexts((l) => l.provider)}::text[], ${lineTexts((l) => l.model)}::text[], ${lineTexts((l) => l.prices.key)}::text[],
      ${lineTexts((l) => l.organizationId)}::text[], ${lineTexts((l) => l.prices.input)}::numeric[], ${lineTexts((l) => l.prices.cacheRead)}::numeric[],
      ${lineTexts((l) => l.prices.cacheCreation)}::numeric[], ${lineTexts((l) => l.prices.output)}::numeric[], ${lineTexts((l) => l.prices.reasoning)}::numeric[],
      ${lineNumbers((l) => l.calls)}::bigint[], ${lineNumbers((l) => l.unpriced)}::bigint[], ${lineNumbers((l) => l.input)}::bigint[],
      ${lineNumbers((l) => l.cacheRead)}::bigint[], ${lineNumbers((l) => l.cacheCreation)}::bigint[], ${lineNumbers((l) => l.output)}::bigint[],
      ${lineNumbers((l) => l.reasoning)}::bigint[], ${lineTexts((l) => l.cost.toString())}::numeric[])
    ON CONFLICT (workspace_id, month, job_id, provider, model, price_key) DO UPDATE SET
      calls = s.calls + EXCLUDED.calls,
      unpriced_calls = s.unpriced_calls + EXCLUDED.unpriced_calls,
      input_tokens = s.input_tokens + EXCLUDED.input_tokens,
      cache_read_tokens = s.cache_read_tokens + EXCLUDED.cache_read_tokens,
      cache_creation_tokens = s.cache_creation_tokens + EXCLUDED.cache_creation_tokens,
      output_tokens = s.output_tokens + EXCLUDED.output_tokens,
      reasoning_tokens = s.reasoning_tokens + EXCLUDED.reasoning_tokens,
      cost = s.cost + EXCLUDED.cost`.execute(trx);
}

/** Creates the chargeback tables and their indexes (on an empty schema: live, or a rebuild's). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createChargebackTables(db: Kysely<any>): Promise<void> {
  const counts = ['calls', 'errors', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens'];
  let rollups = db.schema
    .createTable('usage_rollups')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('grain', 'smallint', (c) => c.notNull())
    .addColumn('bucket_start', 'timestamptz', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull());
  for (const name of counts) rollups = rollups.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
  await rollups
    .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_rollups_pkey', ['workspace_id', 'grain', 'bucket_start', 'agent', 'provider', 'model'])
    .execute();

  // agent-filtered by-model: one agent's rows of a cell range
  await db.schema.createIndex('usage_rollups_by_agent').on('usage_rollups').columns(['workspace_id', 'agent', 'grain', 'bucket_start']).execute();

  // the same cells summed over some dimensions: (table, its key columns before grain and bucket_start, after)
  const totals: Array<[string, string[], string[]]> = [
    ['usage_workspace_rollups', [], []],
    ['usage_model_rollups', [], ['provider', 'model']],
    ['usage_agent_rollups', ['agent'], []],
  ];
  for (const [name, before, after] of totals) {
    let table: CreateTableBuilder<string, string> = db.schema.createTable(name).addColumn('workspace_id', 'text', (c) => c.notNull());
    for (const column of before) table = table.addColumn(column, 'text', (c) => c.notNull());
    table = table.addColumn('grain', 'smallint', (c) => c.notNull()).addColumn('bucket_start', 'timestamptz', (c) => c.notNull());
    for (const column of after) table = table.addColumn(column, 'text', (c) => c.notNull());
    table = table.addColumn('organization_id', 'text', (c) => c.notNull());
    for (const column of counts) table = table.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
    await table
      .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
      .addColumn('latency_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('latency_count', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint(`${name}_pkey`, ['workspace_id', ...before, 'grain', 'bucket_start', ...after])
      .execute();
  }

  await db.schema
    .createTable('usage_calls')
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('usage_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('time', 'timestamptz', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cache_read_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cache_creation_tokens', 'bigint', (c) => c.notNull())
    .addColumn('reasoning_tokens', 'bigint', (c) => c.notNull())
    .addColumn('total_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost', 'numeric', (c) => c.notNull())
    .addColumn('response_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_type', 'text')
    .addColumn('priced', 'boolean', (c) => c.notNull())
    .addColumn('price_key', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('corrections', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    // the list's order, read backwards; a redelivered event has the same three (no random-order index on the id alone)
    .addUniqueConstraint('usage_calls_key', ['workspace_id', 'time', 'event_id'])
    .execute();
  await db.schema.createIndex('usage_calls_recent_by_agent').on('usage_calls').columns(['workspace_id', 'agent', 'time', 'event_id']).execute();

  let lines = db.schema
    .createTable('usage_statement_lines')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('month', 'date', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('price_key', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull());
  for (const name of ['price_input', 'price_cache_read', 'price_cache_creation', 'price_output', 'price_reasoning']) lines = lines.addColumn(name, 'numeric');
  for (const name of ['calls', 'unpriced_calls', 'input_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'output_tokens', 'reasoning_tokens']) {
    lines = lines.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
  }
  await lines
    .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_statement_lines_pkey', ['workspace_id', 'month', 'job_id', 'provider', 'model', 'price_key'])
    .execute();
}

/** A batch's corrections as signed changes to cells and statement lines. */
interface CorrectionChanges {
  readonly cells: CellChange[];
  readonly lines: LineChange[];
}

/**
 * Sums the corrections' changes and the new calls in memory and writes them.
 * Counts are JS numbers: a batch whose sums would pass 2^53 (a thousand calls
 * of 10^13 milliseconds…) is halved until each part's are exact.
 */
async function writeBatch(trx: Transaction<ChargebackDB>, changes: CorrectionChanges, calls: readonly Recorded[]): Promise<void> {
  const sums = new BatchSums();
  for (const change of changes.cells) sums.addCell(change);
  for (const change of changes.lines) sums.addLine(change);
  for (const { data, prices } of calls) addRecorded(sums, data, prices);
  if (sums.exact || calls.length <= 1) {
    await writeSums(trx, sums);
    return;
  }
  const half = calls.length >> 1;
  await writeBatch(trx, changes, calls.slice(0, half));
  await writeBatch(trx, { cells: [], lines: [] }, calls.slice(half));
}

/**
 * The chargeback read model: rollups, recent calls and statement lines from
 * UsageRecorded and UsageCorrected. A batch is applied with two statements
 * whatever its size (three with corrections): the calls are inserted first
 * (only the calls that were new are counted, so even a redelivered event
 * cannot count twice), then the batch's sums, added up in memory, in one
 * statement over every rollup table and the statement lines.
 */
export const chargebackProjection = defineProjection<ChargebackDB>({
  name: CHARGEBACK_PROJECTION,
  // 2: usage_workspace_rollups; 3: usage_model_rollups, usage_agent_rollups, usage_calls keyed (workspace_id, time, event_id), response_time_ms bigint
  version: 3,
  streamPrefixes: [USAGE_STREAM_PREFIX],
  eventTypes: ['UsageRecorded', 'UsageCorrected'],
  async migrate(db) {
    await createChargebackTables(db);
  },
  async handle(trx, events) {
    const recorded: Recorded[] = [];
    const corrections: UsageCorrectedData[] = [];
    const seen = new Set<string>();
    for (const event of events) {
      if (event.type === 'UsageRecorded') {
        // a store holds an event once; a batch that held it twice would still count it once
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        const data = event.data as UsageRecordedData;
        recorded.push({ event, data, prices: linePrices(data.pricing) });
      } else if (event.type === 'UsageCorrected') corrections.push(event.data as UsageCorrectedData);
    }
    // the batch and its checkpoint commit together: a server crash can only lose both, and they are replayed
    // from the store; so the commit need not wait for its WAL flush
    await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    const fresh = await insertCalls(trx, recorded);
    const changes = await applyCorrections(trx, corrections);
    await writeBatch(
      trx,
      changes,
      recorded.filter((call) => fresh.has(call.event.eventId)),
    );
  },
});
