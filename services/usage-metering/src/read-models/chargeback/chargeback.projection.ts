import Decimal from 'decimal.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import { USAGE_STREAM_PREFIX, type UsageCorrectedData, type UsagePricing, type UsageRecordedData } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema } from '@steward/projections';
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

export function linePrices(pricing: UsagePricing): LinePrices {
  if (pricing.status === 'unpriced') return { key: UNPRICED_KEY, input: null, cacheRead: null, cacheCreation: null, output: null, reasoning: null };
  const unit = pricing.unitPrices;
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

/** One signed contribution to the rollups (a call, or a correction's delta). */
interface RollupInput {
  organizationId: string;
  workspaceId: string;
  time: string;
  agent: string;
  provider: string;
  model: string;
  calls: number;
  errors: number;
  unpriced: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  reasoning: number;
  cost: string;
  latencySum: number;
  latencyCount: number;
}

/** One signed contribution to a statement line. */
interface StatementInput {
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
  cost: string;
}

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

async function insertCalls(trx: Transaction<ChargebackDB>, calls: readonly { event: RecordedEvent; data: UsageRecordedData }[]): Promise<Set<string>> {
  if (calls.length === 0) return new Set();
  const column = <T>(pick: (call: { event: RecordedEvent; data: UsageRecordedData }) => T): T[] => calls.map(pick);
  const result = await sql<{ event_id: string }>`
    INSERT INTO usage_calls (event_id, organization_id, workspace_id, usage_id, source, time, agent, provider, model,
      input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
      cost, response_time_ms, status, error_type, priced, price_key, job_id, corrections, received_at)
    SELECT e.event_id, e.organization_id, e.workspace_id, e.usage_id, e.source, e.time, e.agent, e.provider, e.model,
      e.input_tokens, e.output_tokens, e.cache_read_tokens, e.cache_creation_tokens, e.reasoning_tokens, e.input_tokens + e.output_tokens,
      e.cost, e.response_time_ms, e.status, e.error_type, e.price_key <> ${UNPRICED_KEY}, e.price_key, e.job_id, 0, e.received_at
    FROM unnest(${column((c) => c.event.eventId)}::uuid[], ${column((c) => c.data.organizationId)}::text[], ${column((c) => c.data.workspaceId)}::text[],
      ${column((c) => c.data.usageId)}::text[], ${column((c) => c.data.source)}::text[], ${column((c) => c.data.time)}::timestamptz[],
      ${column((c) => c.data.agent)}::text[], ${column((c) => c.data.provider)}::text[], ${column((c) => c.data.model)}::text[],
      ${column((c) => c.data.inputTokens)}::bigint[], ${column((c) => c.data.outputTokens)}::bigint[], ${column((c) => c.data.cacheReadInputTokens)}::bigint[],
      ${column((c) => c.data.cacheCreationInputTokens)}::bigint[], ${column((c) => c.data.reasoningOutputTokens)}::bigint[],
      ${column((c) => c.data.cost)}::numeric[], ${column((c) => c.data.responseTimeMs)}::int[], ${column((c) => c.data.status)}::text[],
      ${column((c) => c.data.errorType ?? null)}::text[], ${column((c) => linePrices(c.data.pricing).key)}::text[], ${column((c) => c.data.jobId ?? null)}::text[],
      ${column((c) => c.data.receivedAt)}::timestamptz[])
      AS e(event_id, organization_id, workspace_id, usage_id, source, time, agent, provider, model,
        input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens,
        cost, response_time_ms, status, error_type, price_key, job_id, received_at)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id`.execute(trx);
  return new Set(result.rows.map((row) => row.event_id));
}

async function addToRollups(trx: Transaction<ChargebackDB>, rows: readonly RollupInput[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: RollupInput) => T): T[] => rows.map(pick);
  // one row per (grain, cell, dimensions): the batch is summed in SQL first, so ON CONFLICT sees each key once
  const counters = ['calls', 'errors', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'reasoning_tokens', 'cost', 'latency_sum_ms', 'latency_count'];
  const addUp = (alias: string) => sql.raw(counters.map((name) => `${name} = ${alias}.${name} + EXCLUDED.${name}`).join(', '));
  // one row per (grain, cell, dimensions): the batch is summed in SQL first, so ON CONFLICT sees each key once;
  // the workspace totals are summed from the same rows in the same statement
  await sql`
    WITH e AS (
      SELECT * FROM unnest(${column((r) => r.organizationId)}::text[], ${column((r) => r.workspaceId)}::text[], ${column((r) => r.time)}::timestamptz[],
        ${column((r) => r.agent)}::text[], ${column((r) => r.provider)}::text[], ${column((r) => r.model)}::text[],
        ${column((r) => r.calls)}::bigint[], ${column((r) => r.errors)}::bigint[], ${column((r) => r.unpriced)}::bigint[],
        ${column((r) => r.input)}::bigint[], ${column((r) => r.output)}::bigint[], ${column((r) => r.cacheRead)}::bigint[],
        ${column((r) => r.cacheCreation)}::bigint[], ${column((r) => r.reasoning)}::bigint[], ${column((r) => r.cost)}::numeric[],
        ${column((r) => r.latencySum)}::bigint[], ${column((r) => r.latencyCount)}::bigint[])
        AS e(organization_id, workspace_id, time, agent, provider, model, calls, errors, unpriced, input_tokens, output_tokens,
          cache_read_tokens, cache_creation_tokens, reasoning_tokens, cost, latency_sum, latency_count)
    ),
    cells AS (
      SELECT e.workspace_id, g.grain, date_bin(make_interval(mins => g.grain), e.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
        e.agent, e.provider, e.model, min(e.organization_id) AS organization_id,
        sum(e.calls) AS calls, sum(e.errors) AS errors, sum(e.unpriced) AS unpriced_calls, sum(e.input_tokens) AS input_tokens,
        sum(e.output_tokens) AS output_tokens, sum(e.cache_read_tokens) AS cache_read_tokens, sum(e.cache_creation_tokens) AS cache_creation_tokens,
        sum(e.reasoning_tokens) AS reasoning_tokens, sum(e.cost) AS cost, sum(e.latency_sum) AS latency_sum_ms, sum(e.latency_count) AS latency_count
      FROM e CROSS JOIN (VALUES (15), (60), (1440)) AS g(grain)
      GROUP BY 1, 2, 3, 4, 5, 6
    ),
    by_dimensions AS (
      INSERT INTO usage_rollups AS r (workspace_id, grain, bucket_start, agent, provider, model, organization_id,
        calls, errors, unpriced_calls, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens,
        cost, latency_sum_ms, latency_count)
      SELECT * FROM cells
      ON CONFLICT (workspace_id, grain, bucket_start, agent, provider, model) DO UPDATE SET ${addUp('r')}
    )
    INSERT INTO usage_workspace_rollups AS w (workspace_id, grain, bucket_start, organization_id,
      calls, errors, unpriced_calls, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens,
      cost, latency_sum_ms, latency_count)
    SELECT workspace_id, grain, bucket_start, min(organization_id), sum(calls), sum(errors), sum(unpriced_calls), sum(input_tokens),
      sum(output_tokens), sum(cache_read_tokens), sum(cache_creation_tokens), sum(reasoning_tokens), sum(cost), sum(latency_sum_ms), sum(latency_count)
    FROM cells GROUP BY workspace_id, grain, bucket_start
    ON CONFLICT (workspace_id, grain, bucket_start) DO UPDATE SET ${addUp('w')}`.execute(trx);
}

async function addToStatement(trx: Transaction<ChargebackDB>, rows: readonly StatementInput[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: StatementInput) => T): T[] => rows.map(pick);
  await sql`
    INSERT INTO usage_statement_lines AS s (workspace_id, month, job_id, provider, model, price_key, organization_id,
      price_input, price_cache_read, price_cache_creation, price_output, price_reasoning,
      calls, unpriced_calls, input_tokens, cache_read_tokens, cache_creation_tokens, output_tokens, reasoning_tokens, cost)
    SELECT e.workspace_id, e.month, e.job_id, e.provider, e.model, e.price_key, min(e.organization_id),
      min(e.price_input), min(e.price_cache_read), min(e.price_cache_creation), min(e.price_output), min(e.price_reasoning),
      sum(e.calls), sum(e.unpriced), sum(e.input_tokens), sum(e.cache_read_tokens), sum(e.cache_creation_tokens),
      sum(e.output_tokens), sum(e.reasoning_tokens), sum(e.cost)
    FROM unnest(${column((r) => r.organizationId)}::text[], ${column((r) => r.workspaceId)}::text[], ${column((r) => r.month)}::date[],
      ${column((r) => r.jobId)}::text[], ${column((r) => r.provider)}::text[], ${column((r) => r.model)}::text[], ${column((r) => r.prices.key)}::text[],
      ${column((r) => r.prices.input)}::numeric[], ${column((r) => r.prices.cacheRead)}::numeric[], ${column((r) => r.prices.cacheCreation)}::numeric[],
      ${column((r) => r.prices.output)}::numeric[], ${column((r) => r.prices.reasoning)}::numeric[],
      ${column((r) => r.calls)}::bigint[], ${column((r) => r.unpriced)}::bigint[], ${column((r) => r.input)}::bigint[],
      ${column((r) => r.cacheRead)}::bigint[], ${column((r) => r.cacheCreation)}::bigint[], ${column((r) => r.output)}::bigint[],
      ${column((r) => r.reasoning)}::bigint[], ${column((r) => r.cost)}::numeric[])
      AS e(organization_id, workspace_id, month, job_id, provider, model, price_key, price_input, price_cache_read, price_cache_creation,
        price_output, price_reasoning, calls, unpriced, input_tokens, cache_read_tokens, cache_creation_tokens, output_tokens, reasoning_tokens, cost)
    GROUP BY e.workspace_id, e.month, e.job_id, e.provider, e.model, e.price_key
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

function recordedInputs(data: UsageRecordedData): { rollup: RollupInput; statement: StatementInput } {
  const prices = linePrices(data.pricing);
  const unpriced = prices.key === UNPRICED_KEY ? 1 : 0;
  const tokens = billable({
    input: data.inputTokens,
    output: data.outputTokens,
    cacheRead: data.cacheReadInputTokens,
    cacheCreation: data.cacheCreationInputTokens,
    reasoning: data.reasoningOutputTokens,
  });
  return {
    rollup: {
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
    },
    statement: {
      organizationId: data.organizationId,
      workspaceId: data.workspaceId,
      month: monthOf(data.time),
      jobId: data.jobId ?? '',
      provider: data.provider,
      model: data.model,
      prices,
      calls: 1,
      unpriced,
      ...tokens,
      cost: data.cost,
    },
  };
}

/**
 * Applies the batch's corrections in order against the calls' current state
 * (read once, kept in memory: a call may be corrected twice in one batch).
 */
async function applyCorrections(
  trx: Transaction<ChargebackDB>,
  corrections: readonly UsageCorrectedData[],
  rollups: RollupInput[],
  statement: StatementInput[],
): Promise<void> {
  if (corrections.length === 0) return;
  const ids = [...new Set(corrections.map((correction) => correction.usageEventId))];
  const found = await sql<CallState>`
    SELECT event_id, organization_id, workspace_id, time, job_id, provider, model, input_tokens, output_tokens, cache_read_tokens,
      cache_creation_tokens, reasoning_tokens, cost::text AS cost, priced, price_key, corrections
    FROM usage_calls WHERE event_id = ANY(${ids}::uuid[]) FOR UPDATE`.execute(trx);
  const calls = new Map(found.rows.map((row) => [row.event_id, { ...row }]));
  const touched = new Set<string>();
  for (const correction of corrections) {
    const call = calls.get(correction.usageEventId);
    const prices = linePrices(correction.pricing);
    const nowUnpriced = prices.key === UNPRICED_KEY;
    const unpricedChange = call ? (nowUnpriced ? 1 : 0) - (call.priced ? 0 : 1) : 0;
    rollups.push({
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
      month: monthOf(correction.time),
      provider: correction.provider,
      model: correction.model,
    };
    if (!call) {
      // not projected (cannot happen when the store holds the UsageRecorded): the money still lands, on the new price's line
      statement.push({ ...base, jobId: '', prices, calls: 0, unpriced: 0, input: 0, cacheRead: 0, cacheCreation: 0, output: 0, reasoning: 0, cost: correction.delta });
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
    statement.push({
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
    statement.push({ ...base, jobId: call.job_id ?? '', prices, calls: 1, unpriced: nowUnpriced ? 1 : 0, ...tokens, cost: newCost });
    call.cost = newCost;
    call.priced = !nowUnpriced;
    call.price_key = prices.key;
    call.corrections += 1;
    touched.add(call.event_id);
  }
  const updated = [...touched].map((id) => calls.get(id)!);
  if (updated.length === 0) return;
  await sql`
    UPDATE usage_calls AS c SET cost = u.cost, priced = u.priced, price_key = u.price_key, corrections = u.corrections
    FROM unnest(${updated.map((c) => c.event_id)}::uuid[], ${updated.map((c) => c.cost)}::numeric[], ${updated.map((c) => c.priced)}::boolean[],
      ${updated.map((c) => c.price_key)}::text[], ${updated.map((c) => c.corrections)}::int[]) AS u(event_id, cost, priced, price_key, corrections)
    WHERE c.event_id = u.event_id`.execute(trx);
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

  let totals = db.schema
    .createTable('usage_workspace_rollups')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('grain', 'smallint', (c) => c.notNull())
    .addColumn('bucket_start', 'timestamptz', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull());
  for (const name of counts) totals = totals.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
  await totals
    .addColumn('cost', 'numeric', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_sum_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_workspace_rollups_pkey', ['workspace_id', 'grain', 'bucket_start'])
    .execute();

  await db.schema
    .createTable('usage_calls')
    .addColumn('event_id', 'uuid', (c) => c.primaryKey())
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
    .addColumn('response_time_ms', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_type', 'text')
    .addColumn('priced', 'boolean', (c) => c.notNull())
    .addColumn('price_key', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('corrections', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('usage_calls_recent').on('usage_calls').columns(['workspace_id', 'time desc', 'event_id desc']).execute();
  await db.schema.createIndex('usage_calls_recent_by_agent').on('usage_calls').columns(['workspace_id', 'agent', 'time desc', 'event_id desc']).execute();

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

/**
 * The chargeback read model: rollups, recent calls and statement lines from
 * UsageRecorded and UsageCorrected. A batch is applied with a handful of
 * statements whatever its size (calls inserted first: only the calls that were
 * new are counted, so even a redelivered event cannot count twice).
 */
export const chargebackProjection = defineProjection<ChargebackDB>({
  name: CHARGEBACK_PROJECTION,
  // 2: usage_workspace_rollups
  version: 2,
  streamPrefixes: [USAGE_STREAM_PREFIX],
  eventTypes: ['UsageRecorded', 'UsageCorrected'],
  async migrate(db) {
    await createChargebackTables(db);
  },
  async handle(trx, events) {
    const recorded: Array<{ event: RecordedEvent; data: UsageRecordedData }> = [];
    const corrections: UsageCorrectedData[] = [];
    for (const event of events) {
      if (event.type === 'UsageRecorded') recorded.push({ event, data: event.data as UsageRecordedData });
      else if (event.type === 'UsageCorrected') corrections.push(event.data as UsageCorrectedData);
    }
    const fresh = await insertCalls(trx, recorded);
    const rollups: RollupInput[] = [];
    const statement: StatementInput[] = [];
    for (const { event, data } of recorded) {
      if (!fresh.has(event.eventId)) continue;
      const inputs = recordedInputs(data);
      rollups.push(inputs.rollup);
      statement.push(inputs.statement);
    }
    await applyCorrections(trx, corrections, rollups, statement);
    await addToRollups(trx, rollups);
    await addToStatement(trx, statement);
  },
});
