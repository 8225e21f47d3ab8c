/**
 * The chargeback projection's SQL, one statement per step whatever the batch's
 * size (columns sent as array literals): the batch's calls inserted, the
 * corrected calls locked and updated, and the batch's sums added to every
 * rollup table and the statement lines.
 */
import { sql, type Transaction } from 'kysely';
import type { UsageCorrectedData, UsageRecordedData } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { foldCorrections, type BatchSums, type CallState, type CorrectionChanges, type StatementLine } from './chargeback-batch';
import type { ChargebackDB } from './chargeback-db';
import { UNPRICED_KEY, type LinePrices } from './line-prices';
import { plainArray, textArray } from './pg-arrays';

/** A UsageRecorded of the batch, with the prices of its statement line. */
export type Recorded = { event: RecordedEvent; data: UsageRecordedData; prices: LinePrices };

/**
 * Inserts the batch's calls in one statement; answers the ids that were new (a
 * redelivered event's row is already there). `calls` holds each event once.
 * ON CONFLICT rather than an anti-join: the planner makes the anti-join a
 * merge join over the whole table.
 */
export async function insertCalls(trx: Transaction<ChargebackDB>, calls: readonly Recorded[]): Promise<Set<string>> {
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

/**
 * Applies the batch's corrections in order against the calls' current state,
 * read once and locked (a call may be corrected twice in one batch); answers
 * their changes to cells and statement lines.
 */
export async function applyCorrections(trx: Transaction<ChargebackDB>, corrections: readonly UsageCorrectedData[]): Promise<CorrectionChanges> {
  if (corrections.length === 0) return { cells: [], lines: [] };
  const keys = [...new Map(corrections.map((correction) => [correction.usageEventId, correction])).values()];
  // a correction carries its call's workspace and time: the calls' key
  const found = await sql<CallState>`
    SELECT c.event_id, c.organization_id, c.workspace_id, c.time, c.job_id, c.provider, c.model, c.input_tokens, c.output_tokens, c.cache_read_tokens,
      c.cache_creation_tokens, c.reasoning_tokens, c.cost::text AS cost, c.priced, c.price_key, c.corrections
    FROM unnest(${textArray(keys.map((k) => k.workspaceId))}::text[], ${textArray(keys.map((k) => k.time))}::timestamptz[],
      ${textArray(keys.map((k) => k.usageEventId))}::uuid[]) AS k(workspace_id, time, event_id)
    JOIN usage_calls c ON c.workspace_id = k.workspace_id AND c.time = k.time AND c.event_id = k.event_id
    FOR UPDATE OF c`.execute(trx);
  const { changes, updated } = foldCorrections(corrections, found.rows);
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
export async function writeSums(trx: Transaction<ChargebackDB>, batch: BatchSums): Promise<void> {
  if (batch.empty) return;
  const rows = batch.rollupRows();
  const lines = [...batch.lines.values()];
  const cellTexts = (pick: (row: (typeof rows)[number]) => string | null): string => textArray(rows.map(pick));
  const cellNumbers = (pick: (row: (typeof rows)[number]) => number): string => plainArray(rows.map(pick));
  const lineTexts = (pick: (line: StatementLine) => string | null): string => textArray(lines.map(pick));
  const lineNumbers = (pick: (line: StatementLine) => number): string => plainArray(lines.map(pick));
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
