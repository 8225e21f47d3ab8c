/**
 * `npm run bench:ingest-budgets`: bench:ingest's sustained run and steady-rate freshness on two fresh
 * stacks in one invocation — WITHOUT the budgets process, then WITH it and BENCH_BUDGETS (100) budgets over
 * the bench's workspace — and the ratio of the end-to-end rates (target ≥ 0.90). Billing runs in both.
 *
 * The budgets: workspace-wide, per agent, per provider / model, per agent × model; daily, weekly and
 * monthly; a third `block`; limits on a ladder from 5 to 100,000 USD and thresholds of several shapes, so
 * that some are crossed during the run and others never are (the run spends about 1,000 USD). The spend
 * reactor reads every UsageRecorded and walks the workspace's budgets for each.
 *
 * With budgets, the sustained run's CPU window stays open until the spend reactor has caught up (the
 * workspace-wide budget's spend equals the chargeback's cost of the workspace), so its CPU counts in full;
 * the time it needed past "visible" is printed. After the steady run, each budget's thresholds reached by
 * its spend are checked against the BudgetThresholdCrossed events in the store and the alerts read model:
 * every crossing recorded, each once, none that the spend did not reach.
 *
 * Options as bench:ingest-billing (BENCH_EVENTS, BENCH_BATCH, BENCH_CONCURRENCY, BENCH_STEADY_RATE,
 * BENCH_STEADY_SECONDS, BENCH_ROUNDS), plus BENCH_BUDGETS (100).
 */
import type pg from 'pg';
import type { Stack } from '@steward/testing';
import { abRun, abba, printAb, printCpu, rounded, type AbResult, type AbTarget } from './ingest-ab';
import { roomToSpend } from './ingest-billing.bench';
import { EVENTS, fmt } from './ingest.bench';
import { AGENTS, LIMITS, MODELS, PERIODS, THRESHOLDS } from './budget-shapes';

const BUDGETS = Number(process.env.BENCH_BUDGETS ?? '100');
/** The workspace-wide budget the bench reads to know the spend reactor has caught up (never crossed). */
const WHOLE = 'bench: whole workspace';

interface Defined {
  readonly id: string;
  readonly name: string;
  readonly limitUsd: string;
  readonly thresholds: number[];
}

/** The i-th budget: scopes, periods, limits, thresholds and enforcement in cycles of different lengths. */
function budgetBody(index: number): Record<string, unknown> {
  if (index === 0) return { name: WHOLE, period: 'daily', limitUsd: '10000000', thresholds: [100] };
  const agent = AGENTS[index % AGENTS.length]!;
  const { provider, model } = MODELS[index % MODELS.length]!;
  const scopes = [{}, { agent }, { provider, model }, { agent, provider, model }];
  return {
    name: `bench budget ${index}`,
    scope: scopes[index % scopes.length],
    period: PERIODS[index % PERIODS.length],
    limitUsd: LIMITS[index % LIMITS.length],
    thresholds: THRESHOLDS[(index >> 2) % THRESHOLDS.length],
    enforcement: index % 3 === 0 ? 'block' : 'notify',
  };
}

let defined: Defined[] = [];

async function defineBudgets(stack: Stack): Promise<void> {
  defined = [];
  for (let index = 0; index < BUDGETS; index++) {
    const body = budgetBody(index);
    const response = await fetch(`${stack.url}/v1/workspaces/${stack.workspaceId}/budgets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST budgets answered ${response.status}: ${await response.text()}`);
    const view = (await response.json()) as { id: string };
    defined.push({ id: view.id, name: String(body.name), limitUsd: String(body.limitUsd), thresholds: body.thresholds as number[] });
  }
  process.stderr.write(`${defined.length} budgets defined\n`);
}

/** The spend reactor has caught up: the workspace-wide budget's spend is the chargeback's cost of the workspace. */
async function spendCaughtUp(pool: pg.Pool, workspaceId: string): Promise<boolean> {
  const whole = defined[0]!.id;
  const { rows } = await pool.query<{ caught: boolean }>(
    `SELECT (SELECT coalesce(sum(spend_usd), 0) FROM rm_budget_spend.spend WHERE budget_id = $1)
          >= (SELECT coalesce(sum(cost), 0) FROM rm_chargeback.usage_rollups WHERE workspace_id = $2 AND grain = 1440) AS caught`,
    [whole, workspaceId],
  );
  return rows[0]?.caught === true;
}

/** Waits for the spend reactor; the ms it took. */
async function caughtUp(target: AbTarget): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + 300_000;
  while (!(await spendCaughtUp(target.pool, target.workspaceId))) {
    if (Date.now() > deadline) throw new Error('the spend reactor did not catch up within 300 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}

/** After the sustained run: how long past "visible" the spend reactor needed. */
const catchUps: number[] = [];

async function settle(target: AbTarget): Promise<void> {
  catchUps.push(await caughtUp(target));
}

interface CrossingCheck {
  readonly events: number;
  readonly expected: number;
  readonly alertsRead: number;
  readonly duplicates: number;
  readonly missing: string[];
  readonly unexpected: string[];
  readonly byThreshold: Map<number, number>;
}

const checks: CrossingCheck[] = [];

/** Every threshold the spend reached is one BudgetThresholdCrossed event and one alert; nothing more. */
async function checkCrossings(target: AbTarget): Promise<void> {
  await caughtUp(target);
  // the alerts read model (projections process) follows the store
  const pool = target.pool;
  const spend = await pool.query<{ budget_id: string; spend_usd: string }>(`SELECT budget_id, spend_usd::text FROM rm_budget_spend.spend`);
  const reached = new Set<string>();
  for (const row of spend.rows) {
    const budget = defined.find((entry) => entry.id === row.budget_id);
    if (!budget) continue;
    const { rows } = await pool.query<{ percent: number }>(
      `SELECT percent FROM unnest($1::int[]) AS percent WHERE $2::numeric * percent / 100 <= $3::numeric`,
      [budget.thresholds, budget.limitUsd, row.spend_usd],
    );
    for (const { percent } of rows) reached.add(`${budget.id}|${percent}`);
  }
  // one per budget, period and threshold: the period is in the key, although every run lies in one period
  const events = await pool.query<{ budget_id: string; percent: number; count: string }>(
    `SELECT data->>'budgetId' AS budget_id, (data->>'thresholdPercent')::int AS percent, count(*)::text AS count
       FROM steward_events.events WHERE event_type = 'BudgetThresholdCrossed' GROUP BY 1, data->'period'->>'start', 2`,
  );
  const recorded = new Set(events.rows.map((row) => `${row.budget_id}|${row.percent}`));
  const total = events.rows.reduce((sum, row) => sum + Number(row.count), 0);
  let alertsRead = 0;
  for (let tries = 0; tries < 300; tries++) {
    const { rows } = await pool.query<{ count: string }>(`SELECT count(*)::text AS count FROM rm_budgets.alerts WHERE type = 'budget_threshold'`).catch(() => ({ rows: [{ count: '0' }] }));
    alertsRead = Number(rows[0]?.count ?? 0);
    if (alertsRead >= total) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const byThreshold = new Map<number, number>();
  for (const row of events.rows) byThreshold.set(row.percent, (byThreshold.get(row.percent) ?? 0) + Number(row.count));
  checks.push({
    events: total,
    expected: reached.size,
    alertsRead,
    duplicates: events.rows.filter((row) => Number(row.count) > 1).length,
    missing: [...reached].filter((key) => !recorded.has(key)),
    unexpected: [...recorded].filter((key) => !reached.has(key)),
    byThreshold,
  });
}

function run(withBudgets: boolean): Promise<AbResult> {
  return abRun(
    `${withBudgets ? `with budgets (${BUDGETS})` : 'without budgets'}`,
    withBudgets
      ? {
          prepare: async (stack) => {
            await roomToSpend(stack);
            await defineBudgets(stack);
          },
          settle,
          inspect: checkCrossings,
        }
      : { without: ['budgets'], prepare: roomToSpend },
  );
}

async function main(): Promise<void> {
  if (BUDGETS < 1) throw new Error('BENCH_BUDGETS must be at least 1');
  const { runs, summary } = await abba('budgets', run);
  console.log(`\nbench:ingest-budgets — the same ingest run without and with the budgets process and ${BUDGETS} budgets (indicative: shared machine)`);
  printAb('budgets', runs, summary);
  console.log(`spend caught up         ${catchUps.map((ms) => `${fmt(ms)} ms`).join(', ')} after the sustained run was visible in chargeback`);
  for (const [index, check] of checks.entries()) {
    const ok = check.duplicates === 0 && check.missing.length === 0 && check.unexpected.length === 0 && check.alertsRead === check.events;
    console.log(
      `crossings, run ${index + 1}        ${check.events} BudgetThresholdCrossed (${[...check.byThreshold].sort((a, b) => a[0] - b[0]).map(([percent, count]) => `${percent}%: ${count}`).join(', ')}); reached by the spend ${check.expected}; alerts read model ${check.alertsRead}; duplicates ${check.duplicates}, missing ${check.missing.length}, unexpected ${check.unexpected.length}   ${ok ? 'PASS' : 'FAIL'}`,
    );
    if (!ok) process.exitCode = 1;
  }
  printCpu('with budgets', summary.with);
  printCpu('without budgets', summary.without);
  console.log(
    JSON.stringify({
      bench: 'ingest-budgets',
      at: new Date().toISOString(),
      events: EVENTS,
      budgets: BUDGETS,
      withoutBudgets: rounded(summary.without.visiblePerSecond),
      withBudgets: rounded(summary.with.visiblePerSecond),
      ratio: rounded(summary.ratio, 3),
      cpuPerEventWithout: rounded(summary.cpuWithout, 1),
      cpuPerEventWith: rounded(summary.cpuWith, 1),
      crossings: checks.map((check) => check.events),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
