import Decimal from 'decimal.js';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { CHARGEBACK_SCHEMA } from './chargeback.projection';
import { Exact, plainDecimal } from './exact-decimal';
import { UNPRICED_KEY } from './line-prices';
import { ChargebackQueryError, ChargebackQueryErrorCode } from './chargeback-query.error';
import { decompose, localBuckets, TimeBucketError, type Cell, type Interval } from './time-buckets';
import { statementInCredits, type UsageStatement } from './usage-statement';
import { costShares, modelUsage, tokenFigures, usageSummary, type CostShares, type ModelUsage, type TokenFigures, type UsageSummary } from './usage-figures';

/** The most points a timeline answers (hourly over 104 days). */
export const MAX_TIMELINE_BUCKETS = 2500;


/** Which usage a query reads: workspaces (already checked against the caller), an optional agent, a range of instants. */
export interface UsageScope {
  readonly workspaceIds: readonly string[];
  readonly agent?: string | undefined;
  /** Epoch ms, inclusive, on the quarter-hour grid. */
  readonly from: number;
  /** Epoch ms, exclusive, on the quarter-hour grid. */
  readonly to: number;
}

export interface UsageTotals {
  readonly calls: number;
  readonly errors: number;
  readonly unpricedCalls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheCreationTokens: number;
  readonly reasoningTokens: number;
  /** USD, exact decimal text. */
  readonly cost: string;
  readonly latencySumMs: number;
  readonly latencyCount: number;
}

export const EMPTY_TOTALS: UsageTotals = {
  calls: 0,
  errors: 0,
  unpricedCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  reasoningTokens: 0,
  cost: '0',
  latencySumMs: 0,
  latencyCount: 0,
};

export interface TimelinePoint extends UsageTotals {
  /** The bucket's local start with its offset (`2026-03-08T00:00:00-05:00`). */
  readonly bucket: string;
  readonly start: string;
  readonly end: string;
  readonly tokens: TokenFigures;
}

export interface ModelTotals extends UsageTotals {
  readonly provider: string;
  readonly model: string;
}

export interface UsageCallView {
  readonly id: string;
  readonly workspaceId: string;
  readonly usageId: string;
  readonly source: string;
  readonly timestamp: string;
  readonly agent: string;
  readonly provider: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheCreationTokens: number;
  readonly reasoningTokens: number;
  readonly totalTokens: number;
  readonly cost: string;
  readonly responseTimeMs: number;
  readonly status: 'success' | 'error';
  readonly errorType: string | null;
  readonly priced: boolean;
  readonly jobId: string | null;
  readonly corrections: number;
}

export interface UsageCallPage {
  readonly items: UsageCallView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

export const TOKEN_TYPES_ON_STATEMENT = ['input', 'cacheRead', 'cacheCreation', 'output', 'reasoningOutput'] as const;
export type StatementTokenType = (typeof TOKEN_TYPES_ON_STATEMENT)[number];

export interface StatementLine {
  readonly tokenType: StatementTokenType;
  /** Billable tokens of this type (plain input excludes cached tokens, plain output excludes reasoning). */
  readonly quantity: number;
  /** USD per token; null when unpriced. */
  readonly unitPrice: string | null;
  /** quantity × unitPrice, USD. */
  readonly total: string;
}

/** One price of one model (or one job × model): its lines and totals. */
export interface StatementGroup {
  readonly jobId: string | null;
  readonly provider: string;
  readonly model: string;
  readonly priced: boolean;
  readonly calls: number;
  readonly lines: StatementLine[];
  /** Σ cost of the calls (corrections included), USD. */
  readonly total: string;
}

interface RollupRow {
  bucket: number;
  provider: string;
  model: string;
  calls: string;
  errors: string;
  unpriced_calls: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_creation_tokens: string;
  reasoning_tokens: string;
  cost: string;
  latency_sum_ms: string;
  latency_count: string;
}

function totalsOf(row: RollupRow | undefined): UsageTotals {
  if (!row) return EMPTY_TOTALS;
  return {
    calls: Number(row.calls),
    errors: Number(row.errors),
    unpricedCalls: Number(row.unpriced_calls),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheCreationTokens: Number(row.cache_creation_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    cost: plainDecimal(row.cost),
    latencySumMs: Number(row.latency_sum_ms),
    latencyCount: Number(row.latency_count),
  };
}

/** A range of cells of one grain, [start, end), read with one index probe. */
export interface CellRun {
  readonly grain: Cell['grain'];
  readonly start: number;
  readonly end: number;
}

/**
 * Cells read whole in a run although no bucket uses them, rather than a probe more: a probe costs
 * about as much as reading a few rows.
 */
const MAX_GAP_CELLS = 3;

/** The distinct cells' ranges: per grain, neighbours (up to MAX_GAP_CELLS cells apart) in one run. */
export function cellRuns(cells: readonly Pick<Cell, 'grain' | 'start'>[]): CellRun[] {
  const sorted = [...cells].sort((a, b) => a.grain - b.grain || a.start - b.start);
  const runs: Array<{ grain: Cell['grain']; start: number; end: number }> = [];
  for (const cell of sorted) {
    const last = runs.at(-1);
    const unit = cell.grain * 60_000;
    if (last && last.grain === cell.grain && cell.start - last.end <= MAX_GAP_CELLS * unit) last.end = Math.max(last.end, cell.start + unit);
    else runs.push({ grain: cell.grain, start: cell.start, end: cell.start + unit });
  }
  return runs;
}

function table(name: string): RawBuilder<unknown> {
  return sql.id(CHARGEBACK_SCHEMA, name) as unknown as RawBuilder<unknown>;
}

/**
 * The chargeback queries. Every one takes its tenant first (the workspaces the
 * gateway has checked the caller may see) and filters by it in SQL. Totals
 * come from the rollups: a query reads (cells of its decomposition) ×
 * (dimension rows per cell), never raw calls.
 */
export class ChargebackRepository {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly db: Kysely<any>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(deps: { db: Kysely<any> }) {
    this.db = deps.db;
  }

  /**
   * Sums signed cells per group: `bucket` indexes `groups`; `byModel` adds provider and model to the grouping.
   * Each distinct cell is read once however many groups use it (a zone's local days share their edge hours: a
   * Kolkata day is a UTC day ∓ the same 5½ hours its neighbours use), ranges of cells one index probe each.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async sumCells(db: Kysely<any>, scope: UsageScope, groups: readonly (readonly Cell[])[], byModel: boolean): Promise<RollupRow[]> {
    const distinct = new Map<string, Cell>();
    const uses = { grains: [] as number[], starts: [] as string[], signs: [] as number[], buckets: [] as number[] };
    groups.forEach((cells, bucket) => {
      for (const cell of cells) {
        const start = new Date(cell.start).toISOString();
        distinct.set(`${cell.grain}|${cell.start}`, cell);
        uses.grains.push(cell.grain);
        uses.starts.push(start);
        uses.signs.push(cell.sign);
        uses.buckets.push(bucket);
      }
    });
    const runs = cellRuns([...distinct.values()]);
    if (runs.length === 0 || scope.workspaceIds.length === 0) return [];
    const agent = scope.agent === undefined ? sql`` : sql`AND r.agent = ${scope.agent}`;
    // the table summed over exactly what the answer does not group by: one row per cell (per model in the cell for by-model)
    const source = table(scope.agent === undefined ? (byModel ? 'usage_model_rollups' : 'usage_workspace_rollups') : byModel ? 'usage_rollups' : 'usage_agent_rollups');
    const dimensions = byModel ? sql`r.provider, r.model` : sql`''::text AS provider, ''::text AS model`;
    const groupBy = byModel ? sql`GROUP BY u.bucket, r.provider, r.model` : sql`GROUP BY u.bucket`;
    const result = await sql<RollupRow>`
      WITH runs AS (
        SELECT * FROM unnest(${runs.map((run) => run.grain)}::smallint[], ${runs.map((run) => new Date(run.start).toISOString())}::timestamptz[],
          ${runs.map((run) => new Date(run.end).toISOString())}::timestamptz[]) AS p(grain, run_start, run_end)
      ),
      -- materialized: read once, then joined to the uses in one hash join (not once per run)
      cells AS MATERIALIZED (
        SELECT r.* FROM runs p
        CROSS JOIN LATERAL (
          SELECT * FROM ${source} r
          WHERE r.workspace_id = ANY(${[...scope.workspaceIds]}::text[]) AND r.grain = p.grain
            AND r.bucket_start >= p.run_start AND r.bucket_start < p.run_end ${agent}
          OFFSET 0 -- a fence: the subquery stays a per-run index probe, never pulled up into a hash join over the whole table
        ) r
      ),
      uses AS MATERIALIZED (
        SELECT * FROM unnest(${uses.grains}::smallint[], ${uses.starts}::timestamptz[], ${uses.signs}::int[], ${uses.buckets}::int[])
          AS u(grain, bucket_start, sign, bucket)
      )
      SELECT u.bucket, ${dimensions},
        sum(u.sign * r.calls)::text AS calls, sum(u.sign * r.errors)::text AS errors, sum(u.sign * r.unpriced_calls)::text AS unpriced_calls,
        sum(u.sign * r.input_tokens)::text AS input_tokens, sum(u.sign * r.output_tokens)::text AS output_tokens,
        sum(u.sign * r.cache_read_tokens)::text AS cache_read_tokens, sum(u.sign * r.cache_creation_tokens)::text AS cache_creation_tokens,
        sum(u.sign * r.reasoning_tokens)::text AS reasoning_tokens, sum(u.sign * r.cost)::text AS cost,
        sum(u.sign * r.latency_sum_ms)::text AS latency_sum_ms, sum(u.sign * r.latency_count)::text AS latency_count
      FROM cells r JOIN uses u ON u.grain = r.grain AND u.bucket_start = r.bucket_start
      ${groupBy}`.execute(db);
    return result.rows;
  }

  /** Σ over the range: calls, errors, unpriced, tokens by type, cost, latency. */
  async totals(scope: UsageScope): Promise<UsageTotals> {
    const rows = await this.sumCells(this.db, scope, [decompose(scope.from, scope.to)], false);
    return totalsOf(rows[0]);
  }

  /** The totals with the figures the summary shows: success rate, average response time, cost per token. */
  async summary(scope: UsageScope): Promise<UsageSummary> {
    return usageSummary(await this.totals(scope));
  }

  /** One point per local bucket of `interval` in `timeZone` (empty buckets included). */
  async timeline(scope: UsageScope, interval: Interval, timeZone: string): Promise<TimelinePoint[]> {
    let buckets;
    try {
      buckets = localBuckets(scope.from, scope.to, interval, timeZone, MAX_TIMELINE_BUCKETS);
    } catch (error) {
      if (error instanceof TimeBucketError) throw new ChargebackQueryError(ChargebackQueryErrorCode.InvalidArgument, error.message, interval === 'hour' ? 'interval' : 'tz');
      throw error;
    }
    const rows = await this.sumCells(
      this.db,
      scope,
      buckets.map((bucket) => decompose(bucket.start, bucket.end)),
      false,
    );
    const byBucket = new Map(rows.map((row) => [Number(row.bucket), row]));
    return buckets.map((bucket, index) => {
      const totals = totalsOf(byBucket.get(index));
      return { bucket: bucket.label, start: new Date(bucket.start).toISOString(), end: new Date(bucket.end).toISOString(), ...totals, tokens: tokenFigures(totals) };
    });
  }

  /** Per provider × model over the range, most expensive first. */
  async byModel(scope: UsageScope): Promise<ModelTotals[]> {
    const rows = await this.sumCells(this.db, scope, [decompose(scope.from, scope.to)], true);
    return rows
      .map((row) => ({ provider: row.provider, model: row.model, ...totalsOf(row) }))
      .filter((row) => row.calls !== 0 || !new Exact(row.cost).isZero())
      .sort((a, b) => new Exact(b.cost).comparedTo(a.cost) || b.calls - a.calls || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
  }

  /** Each model's share of the range's cost, most expensive first. */
  async costShares(scope: UsageScope): Promise<CostShares> {
    return costShares(await this.byModel(scope));
  }

  /** The model table: per provider × model, tokens and average response time, most expensive first. */
  async modelUsage(scope: UsageScope): Promise<ModelUsage[]> {
    return (await this.byModel(scope)).map(modelUsage);
  }

  /**
   * Recent calls, newest first. `total` is the calls of the same scope from the
   * rollups, read in the same snapshot: the page costs (page × pageSize) rows per
   * workspace, never a count over raw calls.
   */
  async listCalls(scope: UsageScope, request: { page: number; pageSize: number }): Promise<UsageCallPage> {
    const { page, pageSize } = request;
    if (!Number.isInteger(page) || page < 1 || page > 10_000) {
      throw new ChargebackQueryError(ChargebackQueryErrorCode.InvalidArgument, 'page must be an integer from 1 to 10000', 'page');
    }
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      throw new ChargebackQueryError(ChargebackQueryErrorCode.InvalidArgument, 'pageSize must be an integer from 1 to 100', 'pageSize');
    }
    const offset = (page - 1) * pageSize;
    return this.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      const totals = await this.sumCells(trx, scope, [decompose(scope.from, scope.to)], false);
      const total = totalsOf(totals[0]).calls;
      if (scope.workspaceIds.length === 0 || offset >= total) return { items: [], total, page, pageSize, pageCount: Math.ceil(total / pageSize) };
      const agent = scope.agent === undefined ? sql`` : sql`AND c.agent = ${scope.agent}`;
      const from = new Date(scope.from).toISOString();
      const to = new Date(scope.to).toISOString();
      const rows = await sql<{
        event_id: string;
        workspace_id: string;
        usage_id: string;
        source: string;
        time: Date;
        agent: string;
        provider: string;
        model: string;
        input_tokens: string;
        output_tokens: string;
        cache_read_tokens: string;
        cache_creation_tokens: string;
        reasoning_tokens: string;
        total_tokens: string;
        cost: string;
        response_time_ms: string;
        status: 'success' | 'error';
        error_type: string | null;
        priced: boolean;
        job_id: string | null;
        corrections: number;
      }>`
        SELECT c.* FROM unnest(${[...scope.workspaceIds]}::text[]) AS w(id)
        CROSS JOIN LATERAL (
          SELECT c.event_id, c.workspace_id, c.usage_id, c.source, c.time, c.agent, c.provider, c.model, c.input_tokens, c.output_tokens,
            c.cache_read_tokens, c.cache_creation_tokens, c.reasoning_tokens, c.total_tokens, c.cost::text AS cost, c.response_time_ms,
            c.status, c.error_type, c.priced, c.job_id, c.corrections
          FROM ${table('usage_calls')} c
          WHERE c.workspace_id = w.id AND c.time >= ${from}::timestamptz AND c.time < ${to}::timestamptz ${agent}
          ORDER BY c.time DESC, c.event_id DESC
          LIMIT ${offset + pageSize}
        ) c
        ORDER BY c.time DESC, c.event_id DESC
        LIMIT ${pageSize} OFFSET ${offset}`.execute(trx);
      const items = rows.rows.map((row) => ({
        id: row.event_id,
        workspaceId: row.workspace_id,
        usageId: row.usage_id,
        source: row.source,
        timestamp: row.time.toISOString(),
        agent: row.agent,
        provider: row.provider,
        model: row.model,
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        cacheReadTokens: Number(row.cache_read_tokens),
        cacheCreationTokens: Number(row.cache_creation_tokens),
        reasoningTokens: Number(row.reasoning_tokens),
        totalTokens: Number(row.total_tokens),
        cost: plainDecimal(row.cost),
        responseTimeMs: Number(row.response_time_ms),
        status: row.status,
        errorType: row.error_type,
        priced: row.priced,
        jobId: row.job_id,
        corrections: row.corrections,
      }));
      return { items, total, page, pageSize, pageCount: Math.ceil(total / pageSize) };
    });
  }

  /**
   * The month's statement (UTC month starting `month`, `YYYY-MM-01`): per model and price, and per job ×
   * model and price, with totals, in USD and in credits at `creditsPerUsd`.
   */
  async statement(workspaceIds: readonly string[], month: string, creditsPerUsd: string): Promise<UsageStatement> {
    return statementInCredits(await this.statementGroups(workspaceIds, month), creditsPerUsd);
  }

  private async statementGroups(workspaceIds: readonly string[], month: string): Promise<{ models: StatementGroup[]; jobs: StatementGroup[] }> {
    if (workspaceIds.length === 0) return { models: [], jobs: [] };
    const result = await sql<{
      job_id: string;
      provider: string;
      model: string;
      price_key: string;
      price_input: string | null;
      price_cache_read: string | null;
      price_cache_creation: string | null;
      price_output: string | null;
      price_reasoning: string | null;
      calls: string;
      input_tokens: string;
      cache_read_tokens: string;
      cache_creation_tokens: string;
      output_tokens: string;
      reasoning_tokens: string;
      cost: string;
    }>`
      SELECT job_id, provider, model, price_key, min(price_input)::text AS price_input, min(price_cache_read)::text AS price_cache_read,
        min(price_cache_creation)::text AS price_cache_creation, min(price_output)::text AS price_output, min(price_reasoning)::text AS price_reasoning,
        sum(calls)::text AS calls, sum(input_tokens)::text AS input_tokens, sum(cache_read_tokens)::text AS cache_read_tokens,
        sum(cache_creation_tokens)::text AS cache_creation_tokens, sum(output_tokens)::text AS output_tokens,
        sum(reasoning_tokens)::text AS reasoning_tokens, sum(cost)::text AS cost
      FROM ${table('usage_statement_lines')}
      WHERE workspace_id = ANY(${[...workspaceIds]}::text[]) AND month = ${month}::date
      GROUP BY job_id, provider, model, price_key`.execute(this.db);
    type Row = (typeof result.rows)[number];
    const merge = (rows: Row[], withJob: boolean): StatementGroup[] => {
      const groups = new Map<string, { row: Row; calls: Decimal; tokens: Decimal[]; cost: Decimal }>();
      for (const row of rows) {
        const key = JSON.stringify([withJob ? row.job_id : '', row.provider, row.model, row.price_key]);
        const tokens = [row.input_tokens, row.cache_read_tokens, row.cache_creation_tokens, row.output_tokens, row.reasoning_tokens].map((value) => new Exact(value));
        const found = groups.get(key);
        if (!found) groups.set(key, { row, calls: new Exact(row.calls), tokens, cost: new Exact(row.cost) });
        else {
          found.calls = found.calls.plus(row.calls);
          found.tokens = found.tokens.map((value, index) => value.plus(tokens[index]!));
          found.cost = found.cost.plus(row.cost);
        }
      }
      return [...groups.values()]
        .filter((group) => !group.calls.isZero() || !group.cost.isZero())
        .map(({ row, calls, tokens, cost }) => {
          const prices = [row.price_input, row.price_cache_read, row.price_cache_creation, row.price_output, row.price_reasoning];
          const lines = TOKEN_TYPES_ON_STATEMENT.map((tokenType, index) => {
            const unitPrice = prices[index] === null || prices[index] === undefined ? null : plainDecimal(prices[index]!);
            const quantity = tokens[index]!;
            return { tokenType, quantity: quantity.toNumber(), unitPrice, total: unitPrice === null ? '0' : plainDecimal(quantity.times(unitPrice)) };
          }).filter((line) => line.quantity !== 0);
          return {
            jobId: withJob ? row.job_id : null,
            provider: row.provider,
            model: row.model,
            priced: row.price_key !== UNPRICED_KEY,
            calls: calls.toNumber(),
            lines,
            total: plainDecimal(cost),
          };
        })
        .sort((a, b) => (a.jobId ?? '').localeCompare(b.jobId ?? '') || new Exact(b.total).comparedTo(a.total) || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
    };
    return { models: merge(result.rows, false), jobs: merge(result.rows.filter((row) => row.job_id !== ''), true) };
  }
}
