/**
 * `npm run bench:budgets [-- --rate 2000 --seconds 30 --budgets 1000 --postgres-seconds 10]`:
 * reservation admission at a steady rate against many block budgets.
 *
 * Setup (a fresh database and Redis prefix, not timed): `--budgets` workspaces with one daily block
 * budget each (limit 8 USD) in the budgets read model, the hold horizon table.
 *
 * Timed: an open-loop schedule of `--rate` reservations per second for `--seconds` (each of 1–40 cents,
 * on a budget chosen at random) through BudgetAdmission.reserve — the gateway's call: the workspace's
 * block budgets (cached for 1 s, then read again from PostgreSQL), the current period, one Lua script on
 * Redis. In the same run and on the same connection, a bare `PING` every 5 ms: the store's round trip,
 * the yardstick (target: admission p99 ≤ 3 × PING p99).
 *
 * Then, for the choice of mechanism, the same schedule for `--postgres-seconds` against PostgreSQL: one
 * conditional `UPDATE … SET held = held + $1 WHERE spent + held + $1 <= limit` per reservation (one
 * budget, one statement, autocommit — the least PostgreSQL could do) beside a bare `SELECT 1`.
 *
 * Checked: overspend (Σ admitted − limit, per budget) is 0 and no refusal was false (a refused amount
 * that fits in what is left at the end).
 */
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  BUDGETS_SCHEMA,
  BudgetAdmission,
  BudgetAdmissionError,
  BudgetCounters,
  BudgetReadRepository,
  HoldHorizon,
  SPEND_SCHEMA,
  budgetsProjection,
  migrateSpendTables,
} from '@steward/budgets';
import { BudgetErrorCode } from '@steward/contracts';
import { createTestEnv } from '@steward/testing';

/** Whole cents as exact USD text (integer arithmetic: no float near money). */
const usdOfCents = (cents: number): string => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const RATE = arg('rate', 2000);
const SECONDS = arg('seconds', 30);
const BUDGETS = arg('budgets', 1000);
const PG_SECONDS = arg('postgres-seconds', 10);
const LIMIT_CENTS = 800;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (value: number) => `${value.toFixed(3)} ms`;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
};

/** Calls `fire` RATE times a second for `seconds`, open loop (a slow call never delays the next). */
async function schedule(seconds: number, fire: (index: number) => Promise<void>): Promise<void> {
  const total = RATE * seconds;
  const started = performance.now();
  const running: Array<Promise<void>> = [];
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    running.push(fire(index));
  }
  await Promise.all(running);
}

async function main(): Promise<void> {
  const env = await createTestEnv();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  const redis = new Redis(env.redisUrl, { enableAutoPipelining: true });
  try {
    await sql`CREATE SCHEMA ${sql.id(BUDGETS_SCHEMA)}`.execute(db);
    await budgetsProjection.migrate(db.withSchema(BUDGETS_SCHEMA) as unknown as Kysely<never>, BUDGETS_SCHEMA);
    await sql`CREATE SCHEMA ${sql.id(SPEND_SCHEMA)}`.execute(db);
    await migrateSpendTables(db.withSchema(SPEND_SCHEMA) as unknown as Kysely<never>);
    await HoldHorizon.migrate(db);
    const now = new Date().toISOString();
    const budgets = Array.from({ length: BUDGETS }, (_, index) => ({ workspaceId: `ws_bench${index}`, budgetId: `bdg_bench${index}` }));
    await env.pool.query(
      `INSERT INTO ${BUDGETS_SCHEMA}.budgets SELECT 'bdg_bench' || i, 'org_bench', 'ws_bench' || i, 'bench ' || i, '{}'::jsonb, 'daily', 'UTC', $1, '[100]'::jsonb, 'block', 'usr_bench', $2, $2 FROM generate_series(0, $3 - 1) AS i`,
      [usdOfCents(LIMIT_CENTS), now, BUDGETS],
    );
    const admission = new BudgetAdmission({
      counters: new BudgetCounters({ redis, prefix: `${env.redisPrefix}budgets:` }),
      reads: new BudgetReadRepository(db),
      horizon: new HoldHorizon(db),
    });
    // warm: every counter loaded, the epoch opened, the horizon raised (not timed)
    await Promise.all(budgets.map((budget) => admission.reserve({ workspaceId: budget.workspaceId, reservationId: `warm-${budget.budgetId}`, estimatedCostUsd: '0.01', call: {}, ttlSeconds: 1 })));
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const admitted = new Map<string, number>();
    const refused: Array<{ budget: string; cents: number }> = [];
    const latencies: number[] = [];
    const pings: number[] = [];
    let errors = 0;
    let pinging = true;
    const pinger = (async () => {
      while (pinging) {
        const started = performance.now();
        await redis.ping();
        pings.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const load = loadavg()[0];
    await schedule(SECONDS, async () => {
      const budget = budgets[Math.floor(random() * BUDGETS)]!;
      const cents = 1 + Math.floor(random() * 40);
      const started = performance.now();
      try {
        await admission.reserve({ workspaceId: budget.workspaceId, reservationId: `rsv-${randomUUID()}`, estimatedCostUsd: usdOfCents(cents), call: {}, ttlSeconds: 3600 });
        latencies.push(performance.now() - started);
        admitted.set(budget.budgetId, (admitted.get(budget.budgetId) ?? 0) + cents);
      } catch (error) {
        latencies.push(performance.now() - started);
        if (error instanceof BudgetAdmissionError && error.code === BudgetErrorCode.Exceeded) refused.push({ budget: budget.budgetId, cents });
        else errors += 1;
      }
    });
    pinging = false;
    await pinger;

    let overspend = 0;
    for (const cents of admitted.values()) overspend += Math.max(0, cents - LIMIT_CENTS);
    const falseRefusals = refused.filter((refusal) => refusal.cents <= LIMIT_CENTS - (admitted.get(refusal.budget) ?? 0)).length;
    const admission99 = summary(latencies);
    const ping99 = summary(pings);

    // PostgreSQL, the alternative: one conditional UPDATE per reservation, autocommit
    const pgPool = new pg.Pool({ connectionString: env.databaseUrl, max: 16 });
    await pgPool.query('CREATE TABLE bench_counters (budget_id text PRIMARY KEY, spent numeric NOT NULL, held numeric NOT NULL, lim numeric NOT NULL)');
    await pgPool.query(`INSERT INTO bench_counters SELECT 'bdg_bench' || i, 0, 0, $1 FROM generate_series(0, $2 - 1) AS i`, [usdOfCents(LIMIT_CENTS), BUDGETS]);
    const pgLatencies: number[] = [];
    const pgPings: number[] = [];
    let pgPinging = true;
    const pgPinger = (async () => {
      while (pgPinging) {
        const started = performance.now();
        await pgPool.query('SELECT 1');
        pgPings.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await schedule(PG_SECONDS, async () => {
      const budget = budgets[Math.floor(random() * BUDGETS)]!;
      const amount = usdOfCents(1 + Math.floor(random() * 40));
      const started = performance.now();
      await pgPool.query('UPDATE bench_counters SET held = held + $1 WHERE budget_id = $2 AND spent + held + $1 <= lim RETURNING lim - spent - held AS remaining', [amount, budget.budgetId]);
      pgLatencies.push(performance.now() - started);
    });
    pgPinging = false;
    await pgPinger;
    await pgPool.end();
    const pgAdmission = summary(pgLatencies);
    const pgPing = summary(pgPings);

    console.log(
      JSON.stringify(
        {
          rate: RATE,
          seconds: SECONDS,
          budgets: BUDGETS,
          loadBefore: load,
          loadAfter: loadavg()[0],
          redis: {
            reservations: admission99.n,
            admitted: latencies.length - refused.length - errors,
            refused: refused.length,
            errors,
            admission: { p50: ms(admission99.p50), p99: ms(admission99.p99), max: ms(admission99.max) },
            ping: { n: ping99.n, p50: ms(ping99.p50), p99: ms(ping99.p99) },
            p99OverPing: (admission99.p99 / ping99.p99).toFixed(2),
            overspendCents: overspend,
            falseRefusals,
          },
          postgres: {
            reservations: pgAdmission.n,
            admission: { p50: ms(pgAdmission.p50), p99: ms(pgAdmission.p99), max: ms(pgAdmission.max) },
            ping: { p50: ms(pgPing.p50), p99: ms(pgPing.p99) },
            p99OverPing: (pgAdmission.p99 / pgPing.p99).toFixed(2),
          },
        },
        null,
        2,
      ),
    );
    if (overspend !== 0 || falseRefusals !== 0 || errors !== 0) process.exitCode = 1;
  } finally {
    redis.disconnect();
    await env.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
