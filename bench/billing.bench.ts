/**
 * `npm run bench:billing [-- --orgs 10000 --events 1000000 --concurrency 8]`:
 * closing a month for many organizations, against the raw `COPY` of the
 * invoice lines it produces.
 *
 * Setup (a fresh database, not timed): each organization gets one workspace
 * and a billing account opened in September 2026 on the Standard plan, a third
 * each in UTC, America/Los_Angeles and Pacific/Kiritimati (so two thirds have
 * periods whose edges cut UTC months). The account streams are real events
 * (BillingAccountOpened) appended to the store and projected by the real
 * billing projection. The usage is written straight into the chargeback read
 * model, as its projection would leave it, with two SQL statements: `INSERT …
 * SELECT generate_series` makes `--events` calls in `usage_calls` (four models
 * with their prices, token counts varying with the call number, times spread
 * over 30 September to 1 November UTC, costs exact), then one `INSERT … SELECT
 * … GROUP BY` sums them into `usage_statement_lines` per workspace, UTC month,
 * provider, model and price — the rows the projection keeps. The workspaces
 * go straight into the team read model the same way.
 *
 * Timed:
 * 1. the open run at 2026-11-01T12:00Z (October has ended in every zone): the
 *    closer reads every account stream, the period's usage (one query per
 *    period bounds: three zones), and opens one draft per organization;
 * 2. the invoices projection catching up on those drafts;
 * 3. the issue run at 2026-11-05T00:00Z (every grace period over): usage read
 *    again, each invoice numbered and issued (two streams, one atomic append);
 * 4. the projection catching up on the issued invoices;
 * 5. the baseline: the invoice lines the run produced, `COPY`ed raw into an
 *    unindexed table of the same columns, and the ratio of the close (1–4) to it.
 *
 * Checked: every organization has one issued invoice, and the usage billed equals the raw calls inside each
 * organization's own period, exactly.
 */
import { loadavg } from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { DEFAULT_PLAN_CATALOGUE, INVOICES_PROJECTION, INVOICES_SCHEMA, billingReadModelProjections } from '@steward/billing';
import { BillingStreams, eventIdFor } from '@steward/contracts';
import { PostgresEventStore, type NewEvent } from '@steward/event-store';
import { createLogger } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { TEAM_SCHEMA, teamReadModelProjections } from '@steward/team-rbac';
import { createTestEnv } from '@steward/testing';
import { CHARGEBACK_SCHEMA, chargebackProjection } from '@steward/usage-metering';
import { InvoiceCloser } from '../services/billing/src/invoices/invoice-closer';
import { InvoiceCommandRunner } from '../services/billing/src/invoices/invoice-command.runner';
import { chunksOf, copyFromStdin, copyText } from './store/pg-copy';

const ZONES = ['UTC', 'America/Los_Angeles', 'Pacific/Kiritimati'];
const MODELS = [
  { provider: 'openai', model: 'gpt-4o', input: '0.0000025', output: '0.00001' },
  { provider: 'openai', model: 'gpt-4o-mini', input: '0.00000015', output: '0.0000006' },
  { provider: 'anthropic', model: 'claude-sonnet-4', input: '0.000003', output: '0.000015' },
  { provider: 'anthropic', model: 'claude-haiku-4', input: '0.0000008', output: '0.000004' },
];
const USAGE_FROM = '2026-09-30T00:00:00Z';
const USAGE_TO = '2026-11-01T12:00:00Z';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const orgId = (index: number) => `org_bench${String(index).padStart(6, '0')}`;

async function main(): Promise<void> {
  const organizations = Number(option('orgs', '10000'));
  const events = Number(option('events', '1000000'));
  const concurrency = Number(option('concurrency', '8'));
  console.log(`bench:billing — ${organizations} organizations, ${events} usage events, concurrency ${concurrency}; load ${load()}`);
  const env = await createTestEnv();
  const store = new PostgresEventStore({ pool: env.pool });
  await store.migrate();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  const logger = createLogger({ name: 'bench-billing', level: 'warn' });
  const host = new ProjectionHost({
    pool: env.pool,
    store,
    projections: [...teamReadModelProjections, chargebackProjection, ...billingReadModelProjections],
    meter: false,
    lockPollIntervalMs: 100,
    retryDelayMs: 50,
    batchSize: 5000,
  });
  try {
    await host.start();
    let started = Date.now();
    // accounts: real events, projected by the billing projection
    const opened = '2026-09-15T00:00:00.000Z';
    for (let from = 0; from < organizations; from += 1000) {
      const requests = [];
      for (let index = from; index < Math.min(organizations, from + 1000); index++) {
        const organizationId = orgId(index);
        const event: NewEvent = {
          eventId: eventIdFor(`bench-account-${organizationId}`, 0),
          type: 'BillingAccountOpened',
          version: 1,
          data: { organizationId, planId: 'standard', timeZone: ZONES[index % ZONES.length]!, overdraftLimit: null, lowBalanceThresholds: [], period: '2026-09', openedBy: 'bench', openedAt: opened },
          metadata: { correlationId: organizationId, actor: { type: 'system', id: 'bench' }, organizationId, occurredAt: opened },
        };
        requests.push({ streamId: BillingStreams.account(organizationId), events: [event], expectedRevision: 'no_stream' as const });
      }
      await store.appendMany(requests);
    }
    // every projection has created its tables once it has caught up with the accounts
    const [lastAccount] = await store.readStream(BillingStreams.account(orgId(organizations - 1)));
    for (const name of ['team', 'chargeback', 'billing', INVOICES_PROJECTION]) await host.runner(name).waitForPosition(lastAccount!.position, 600_000);
    await sql`
      INSERT INTO ${sql.id(TEAM_SCHEMA, 'workspaces')} (id, organization_id, name, status, created_by, created_at, updated_at)
      SELECT 'ws_bench' || lpad(i::text, 6, '0'), 'org_bench' || lpad(i::text, 6, '0'), 'Main', 'active', 'bench', now(), now()
      FROM generate_series(0, ${organizations - 1}::int) AS i`.execute(db);
    const models = sql.raw(
      `(VALUES ${MODELS.map((model, index) => `(${index}, '${model.provider}', '${model.model}', ${model.input}::numeric, ${model.output}::numeric)`).join(', ')}) AS m(idx, provider, model, input, output)`,
    );
    const chargeback = (name: string) => sql.id(CHARGEBACK_SCHEMA, name);
    await sql`
      INSERT INTO ${chargeback('usage_calls')} (event_id, organization_id, workspace_id, usage_id, source, time, agent, provider, model, input_tokens,
        output_tokens, cache_read_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost, response_time_ms, status, error_type, priced,
        price_key, job_id, corrections, received_at)
      SELECT gen_random_uuid(), 'org_bench' || lpad((n % ${organizations})::text, 6, '0'), 'ws_bench' || lpad((n % ${organizations})::text, 6, '0'),
        'u' || n, 'bench', ${USAGE_FROM}::timestamptz + (n::float8 / ${events}) * (${USAGE_TO}::timestamptz - ${USAGE_FROM}::timestamptz),
        'agent', m.provider, m.model, 1000 + n % 997, 100 + n % 89, 0, 0, 0, 1100 + n % 997 + n % 89,
        (1000 + n % 997) * m.input + (100 + n % 89) * m.output, 150, 'success', NULL, true,
        m.input::text || '|' || m.input::text || '|' || m.input::text || '|' || m.output::text || '|' || m.output::text, NULL, 0, now()
      FROM generate_series(0, ${events - 1}::int) AS n JOIN ${models} ON m.idx = (n / ${organizations}) % 4`.execute(db);
    await sql`
      INSERT INTO ${chargeback('usage_statement_lines')} (workspace_id, month, job_id, provider, model, price_key, organization_id, price_input, price_cache_read,
        price_cache_creation, price_output, price_reasoning, calls, unpriced_calls, input_tokens, cache_read_tokens, cache_creation_tokens, output_tokens,
        reasoning_tokens, cost)
      SELECT workspace_id, date_trunc('month', time AT TIME ZONE 'UTC')::date, '', provider, model, price_key, organization_id,
        split_part(price_key, '|', 1)::numeric, split_part(price_key, '|', 2)::numeric, split_part(price_key, '|', 3)::numeric,
        split_part(price_key, '|', 4)::numeric, split_part(price_key, '|', 5)::numeric, count(*), 0,
        sum(input_tokens - cache_read_tokens - cache_creation_tokens), sum(cache_read_tokens), sum(cache_creation_tokens),
        sum(output_tokens - reasoning_tokens), sum(reasoning_tokens), sum(cost)
      FROM ${chargeback('usage_calls')}
      GROUP BY workspace_id, date_trunc('month', time AT TIME ZONE 'UTC'), provider, model, price_key, organization_id`.execute(db);
    await sql`ANALYZE`.execute(db);
    console.log(`setup (accounts, workspaces, ${events} calls, statement lines): ${seconds(Date.now() - started)}`);

    const runner = new InvoiceCommandRunner({ store });
    const closer = new InvoiceCloser({ store, db, runner, catalogue: DEFAULT_PLAN_CATALOGUE, logger, concurrency });
    // the newest event appended, not headPosition(): that stops below any open transaction, a projection's own included
    const catchUp = async () => {
      const { rows } = await env.pool.query<{ stream_id: string }>('SELECT stream_id FROM steward_events.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1');
      const [last] = await store.readStream(rows[0]!.stream_id, { direction: 'backwards', maxCount: 1 });
      await host.runner(INVOICES_PROJECTION).waitForPosition(last!.position, 900_000);
    };

    started = Date.now();
    const openReport = await closer.close(new Date('2026-11-01T12:00:00Z'));
    const openMs = Date.now() - started;
    started = Date.now();
    await catchUp();
    const openProjectionMs = Date.now() - started;
    started = Date.now();
    const issueReport = await closer.close(new Date('2026-11-05T00:00:00Z'));
    const issueMs = Date.now() - started;
    started = Date.now();
    await catchUp();
    const issueProjectionMs = Date.now() - started;
    const closeMs = openMs + openProjectionMs + issueMs + issueProjectionMs;

    const invoices = sql.id(INVOICES_SCHEMA, 'invoices');
    const lines = sql.id(INVOICES_SCHEMA, 'invoice_lines');
    const counts = await sql<{ issued: string; lines: string; due: string }>`
      SELECT (SELECT count(*) FROM ${invoices} WHERE status = 'issued')::text AS issued, (SELECT count(*) FROM ${lines})::text AS lines,
        (SELECT sum(total_due_usd) FROM ${invoices})::text AS due`.execute(db);
    const usage = await sql<{ cost: string }>`SELECT sum(amount_usd)::text AS cost FROM ${lines} WHERE kind = 'usage'`.execute(db);
    // exactness: what the invoices bill is the calls inside each organization's own period, summed from the raw calls
    const expected = await sql<{ cost: string }>`
      SELECT sum(c.cost)::text AS cost FROM ${chargeback('usage_calls')} c
      JOIN ${invoices} i ON i.organization_id = c.organization_id AND c.time >= i.period_start AND c.time < i.period_end`.execute(db);
    if (usage.rows[0]!.cost !== expected.rows[0]!.cost) throw new Error(`invoices bill ${usage.rows[0]!.cost} USD of usage, the calls of the periods cost ${expected.rows[0]!.cost}`);

    // the baseline: the same lines, COPYed raw into a table of the same columns without indexes
    const rows = await sql<Record<string, unknown>>`SELECT * FROM ${lines}`.execute(db);
    const columns = Object.keys(rows.rows[0] ?? {});
    await sql`CREATE TABLE bench_invoice_lines (LIKE ${lines} INCLUDING DEFAULTS)`.execute(db);
    const text = rows.rows.map((row) =>
      columns
        .map((column) => {
          const value = row[column];
          if (value === null || value === undefined) return '\\N';
          if (value instanceof Date) return value.toISOString();
          return copyText(typeof value === 'object' ? JSON.stringify(value) : String(value));
        })
        .join('\t') + '\n',
    );
    const client = await env.pool.connect();
    let copyMs: number;
    try {
      started = Date.now();
      await copyFromStdin(client, `COPY bench_invoice_lines (${columns.map((column) => `"${column}"`).join(', ')}) FROM STDIN`, chunksOf(text));
      copyMs = Date.now() - started;
    } finally {
      client.release();
    }

    console.log(`open run: ${openReport.opened} drafts in ${seconds(openMs)} (${Math.round((openReport.opened / openMs) * 1000)} organizations/s); projection ${seconds(openProjectionMs)}`);
    console.log(`issue run: ${issueReport.issued} invoices in ${seconds(issueMs)} (${Math.round((issueReport.issued / issueMs) * 1000)} organizations/s); projection ${seconds(issueProjectionMs)}`);
    console.log(`issued ${counts.rows[0]!.issued} invoices, ${counts.rows[0]!.lines} lines; usage billed ${usage.rows[0]!.cost} USD (= the calls inside each period, summed raw); total due ${counts.rows[0]!.due} USD`);
    console.log(`closing the month (open + issue + both projections): ${seconds(closeMs)}`);
    console.log(`raw COPY of the ${rows.rows.length} invoice lines: ${seconds(copyMs)}; ratio close / COPY: ${(closeMs / copyMs).toFixed(1)}`);
    console.log(`load ${load()}`);
    if (Number(counts.rows[0]!.issued) !== organizations) throw new Error(`expected ${organizations} issued invoices`);
  } finally {
    await host.stop();
    await store.close();
    await env.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
