/**
 * The statement lines of any period of instants (a billing month in a time
 * zone), per workspace × provider × model × price: what an invoice bills. The
 * statement lines are kept per UTC month; a period cut in another zone differs
 * from the UTC months it overlaps by at most a day at each edge. So each UTC
 * month the period overlaps is read either whole from the statement lines,
 * minus the calls of its part outside the period (when the period covers most
 * of it), or as the calls of the overlap alone (when it covers little of it).
 * The calls carry the same line key and current cost as the lines (a
 * correction moves both), and counts and money are integers and numeric, so
 * the subtraction is exact.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { CHARGEBACK_SCHEMA } from './chargeback.projection';
import { Exact, plainDecimal } from './exact-decimal';
import { UNPRICED_KEY, pricesOfKey } from './line-prices';

/** One line of a period's usage. Token counts are billable quantities (input without its cached part, output without reasoning). */
export interface PeriodUsageLine {
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly provider: string;
  readonly model: string;
  /** The line's unit prices joined (`unpriced` when none). */
  readonly priceKey: string;
  readonly priced: boolean;
  /** USD per token of each type; null when unpriced. */
  readonly prices: { readonly input: string | null; readonly cacheRead: string | null; readonly cacheCreation: string | null; readonly output: string | null; readonly reasoning: string | null };
  /** Whole numbers as text: a month's sums can outgrow a JSON number's exact range. */
  readonly calls: string;
  readonly inputTokens: string;
  readonly cacheReadTokens: string;
  readonly cacheCreationTokens: string;
  readonly outputTokens: string;
  readonly reasoningTokens: string;
  /** Σ cost of the calls, corrections included, USD exact. */
  readonly cost: string;
}

interface MonthPart {
  /** `YYYY-MM-01` */
  readonly month: string;
  readonly mode: 'lines-minus' | 'calls';
  /** The calls to subtract (lines-minus) or add (calls): up to two ranges of instants. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
}

function utcMonthStart(instant: number): number {
  const date = new Date(instant);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function nextUtcMonth(start: number): number {
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** How [from, to) is read, UTC month by UTC month. Pure; exported for its spec. */
export function periodParts(from: number, to: number): MonthPart[] {
  const parts: MonthPart[] = [];
  for (let start = utcMonthStart(from); start < to; start = nextUtcMonth(start)) {
    const end = nextUtcMonth(start);
    const overlapStart = Math.max(start, from);
    const overlapEnd = Math.min(end, to);
    const month = new Date(start).toISOString().slice(0, 10);
    if ((overlapEnd - overlapStart) * 2 >= end - start) {
      const outside: Array<readonly [number, number]> = [];
      if (overlapStart > start) outside.push([start, overlapStart]);
      if (overlapEnd < end) outside.push([overlapEnd, end]);
      parts.push({ month, mode: 'lines-minus', ranges: outside });
    } else {
      parts.push({ month, mode: 'calls', ranges: [[overlapStart, overlapEnd]] });
    }
  }
  return parts;
}

function table(name: string): RawBuilder<unknown> {
  return sql.id(CHARGEBACK_SCHEMA, name) as unknown as RawBuilder<unknown>;
}

interface Row {
  organization_id: string;
  workspace_id: string;
  provider: string;
  model: string;
  price_key: string;
  calls: string;
  input_tokens: string;
  cache_read_tokens: string;
  cache_creation_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  cost: string;
}

/**
 * The usage of `workspaceIds` (already resolved by the caller to the tenant it bills) in
 * [from, to), per workspace × provider × model × price; lines that sum to nothing are left out.
 * Reads one UTC month's statement lines per month and at most a day of calls per edge.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function periodUsageLines(db: Kysely<any>, workspaceIds: readonly string[], from: number, to: number): Promise<PeriodUsageLine[]> {
  if (workspaceIds.length === 0 || to <= from) return [];
  const parts = periodParts(from, to);
  const wholeMonths = parts.filter((part) => part.mode === 'lines-minus').map((part) => part.month);
  const signed = parts.flatMap((part) => part.ranges.map(([start, end]) => ({ sign: part.mode === 'lines-minus' ? -1 : 1, start, end })));
  const ids = [...workspaceIds];
  const result = await sql<Row>`
    WITH lines AS (
      SELECT organization_id, workspace_id, provider, model, price_key, calls, input_tokens, cache_read_tokens, cache_creation_tokens,
        output_tokens, reasoning_tokens, cost
      FROM ${table('usage_statement_lines')}
      WHERE workspace_id = ANY(${ids}::text[]) AND month = ANY(${wholeMonths}::date[])
    ),
    ranges AS (
      SELECT * FROM unnest(${signed.map((range) => range.sign)}::int[], ${signed.map((range) => new Date(range.start).toISOString())}::timestamptz[],
        ${signed.map((range) => new Date(range.end).toISOString())}::timestamptz[]) AS r(sign, range_start, range_end)
    ),
    edges AS (
      SELECT c.organization_id, c.workspace_id, c.provider, c.model, c.price_key, r.sign::bigint AS calls,
        r.sign * (c.input_tokens - c.cache_read_tokens - c.cache_creation_tokens) AS input_tokens,
        r.sign * c.cache_read_tokens AS cache_read_tokens, r.sign * c.cache_creation_tokens AS cache_creation_tokens,
        r.sign * (c.output_tokens - c.reasoning_tokens) AS output_tokens, r.sign * c.reasoning_tokens AS reasoning_tokens, r.sign * c.cost AS cost
      FROM ranges r
      JOIN unnest(${ids}::text[]) AS w(id) ON true
      JOIN ${table('usage_calls')} c ON c.workspace_id = w.id AND c.time >= r.range_start AND c.time < r.range_end
    )
    SELECT organization_id, workspace_id, provider, model, price_key, sum(calls)::text AS calls, sum(input_tokens)::text AS input_tokens,
      sum(cache_read_tokens)::text AS cache_read_tokens, sum(cache_creation_tokens)::text AS cache_creation_tokens,
      sum(output_tokens)::text AS output_tokens, sum(reasoning_tokens)::text AS reasoning_tokens, sum(cost)::text AS cost
    FROM (SELECT * FROM lines UNION ALL SELECT * FROM edges) u
    GROUP BY organization_id, workspace_id, provider, model, price_key
    ORDER BY organization_id, workspace_id, provider, model, price_key`.execute(db);
  return result.rows
    .filter((row) => row.calls !== '0' || !new Exact(row.cost).isZero())
    .map((row) => {
      const prices = pricesOfKey(row.price_key);
      return {
        organizationId: row.organization_id,
        workspaceId: row.workspace_id,
        provider: row.provider,
        model: row.model,
        priceKey: row.price_key,
        priced: row.price_key !== UNPRICED_KEY,
        prices: { input: prices.input, cacheRead: prices.cacheRead, cacheCreation: prices.cacheCreation, output: prices.output, reasoning: prices.reasoning },
        calls: row.calls,
        inputTokens: row.input_tokens,
        cacheReadTokens: row.cache_read_tokens,
        cacheCreationTokens: row.cache_creation_tokens,
        outputTokens: row.output_tokens,
        reasoningTokens: row.reasoning_tokens,
        cost: plainDecimal(row.cost),
      };
    });
}
