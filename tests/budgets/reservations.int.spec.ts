/**
 * Reservation admission against real PostgreSQL (the budgets read model, spend, the hold horizon) and
 * real Redis (the counters): 200 concurrent reservations from four admitting processes' worth of
 * connections against one block budget and against two overlapping ones — overspend exactly 0, false
 * refusals exactly 0; holds released by expiry; a hold committed once however often its usage is
 * redelivered; the counter store (a private redis-server) restarted mid-run → closed (503) until every
 * lost hold has expired, then still no overspend.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import {
  BUDGETS_SCHEMA,
  BudgetAdmission,
  BudgetAdmissionError,
  BudgetCounters,
  BudgetReadRepository,
  HoldHorizon,
  SPEND_SCHEMA,
  budgetPeriodAt,
  budgetsProjection,
  counterSuffix,
  migrateSpendTables,
  unitsUp,
} from '@steward/budgets';
import { BudgetErrorCode, type BudgetScope } from '@steward/contracts';
import { createTestEnv, freePort, waitFor, type TestEnv } from '@steward/testing';

jest.setTimeout(120_000);

const ORG = 'org_test';

interface Outcome {
  readonly amount: number;
  readonly admitted: boolean;
  readonly budgets: readonly string[];
}

/** Cents as USD text. */
const usd = (cents: number): string => (cents / 100).toFixed(2);

describe('budget reservations', () => {
  let env: TestEnv;
  let db: Kysely<unknown>;
  const redises: Redis[] = [];

  const newRedis = (url: string): Redis => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
    redis.on('error', () => undefined);
    redises.push(redis);
    return redis;
  };

  async function defineBudget(workspaceId: string, limitUsd: string, scope: BudgetScope = {}): Promise<string> {
    const budgetId = `bdg_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    await db
      .withSchema(BUDGETS_SCHEMA)
      .insertInto('budgets' as never)
      .values({
        budget_id: budgetId,
        organization_id: ORG,
        workspace_id: workspaceId,
        name: `budget ${limitUsd}`,
        scope: JSON.stringify(scope),
        period: 'daily',
        time_zone: 'UTC',
        limit_usd: limitUsd,
        thresholds: '[100]',
        enforcement: 'block',
        defined_by: 'usr_test',
        defined_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      } as never)
      .execute();
    return budgetId;
  }

  /** `count` admitting processes' worth of connections over one store. */
  function admissions(redisUrl: string, prefix: string, count: number, slackMs = 30_000): BudgetAdmission[] {
    return Array.from({ length: count }, () => {
      const redis = newRedis(redisUrl);
      return new BudgetAdmission({ counters: new BudgetCounters({ redis, prefix }), reads: new BudgetReadRepository(db), horizon: new HoldHorizon(db, slackMs), budgetsTtlMs: 0 });
    });
  }

  async function reserveAll(pool: BudgetAdmission[], workspaceId: string, requests: ReadonlyArray<{ cents: number; agent?: string }>, ttlSeconds = 60): Promise<Outcome[]> {
    return Promise.all(
      requests.map(async (request, index): Promise<Outcome> => {
        try {
          const reservation = await pool[index % pool.length]!.reserve({ workspaceId, reservationId: `rsv-${randomUUID()}`, estimatedCostUsd: usd(request.cents), call: { agent: request.agent }, ttlSeconds });
          return { amount: request.cents, admitted: true, budgets: reservation.budgetIds };
        } catch (error) {
          if (error instanceof BudgetAdmissionError && error.code === BudgetErrorCode.Exceeded) return { amount: request.cents, admitted: false, budgets: [] };
          throw error;
        }
      }),
    );
  }

  /** Random amounts of 1 to 40 cents, seeded so a failure repeats. */
  function amounts(count: number, seed: number): number[] {
    let state = seed;
    return Array.from({ length: count }, () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return 1 + (state % 40);
    });
  }

  beforeAll(async () => {
    env = await createTestEnv();
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
    await sql`CREATE SCHEMA ${sql.id(BUDGETS_SCHEMA)}`.execute(db);
    await budgetsProjection.migrate(db.withSchema(BUDGETS_SCHEMA) as unknown as Kysely<never>, BUDGETS_SCHEMA);
    await sql`CREATE SCHEMA ${sql.id(SPEND_SCHEMA)}`.execute(db);
    await migrateSpendTables(db.withSchema(SPEND_SCHEMA) as unknown as Kysely<never>);
    await HoldHorizon.migrate(db);
  });

  afterAll(async () => {
    for (const redis of redises) redis.disconnect();
    await env?.dispose();
  });

  it('200 concurrent reservations against one block budget: overspend 0, false refusals 0', async () => {
    const workspaceId = `ws_${randomUUID().slice(0, 8)}`;
    await defineBudget(workspaceId, '15.00');
    const pool = admissions(env.redisUrl, `${env.redisPrefix}one:`, 4);
    const outcomes = await reserveAll(pool, workspaceId, amounts(200, 7).map((cents) => ({ cents })));
    const held = outcomes.filter((outcome) => outcome.admitted).reduce((sum, outcome) => sum + outcome.amount, 0);
    const headroom = 1500 - held;
    // holds only grew during the run: a refusal was false if it fit in what is left even now
    const falseRefusals = outcomes.filter((outcome) => !outcome.admitted && outcome.amount <= headroom);
    expect(Math.max(0, held - 1500)).toBe(0);
    expect(falseRefusals).toHaveLength(0);
    expect(outcomes.filter((outcome) => !outcome.admitted).length).toBeGreaterThan(0);
  });

  it('200 concurrent reservations against two overlapping budgets: each holds, all or none', async () => {
    const workspaceId = `ws_${randomUUID().slice(0, 8)}`;
    const wide = await defineBudget(workspaceId, '20.00');
    const narrow = await defineBudget(workspaceId, '7.00', { agent: 'researcher' });
    const pool = admissions(env.redisUrl, `${env.redisPrefix}two:`, 4);
    const requests = amounts(200, 11).map((cents, index) => ({ cents, agent: index % 2 === 0 ? 'researcher' : 'writer' }));
    const outcomes = await reserveAll(pool, workspaceId, requests);
    const heldOn = (budgetId: string) => outcomes.filter((outcome) => outcome.admitted && outcome.budgets.includes(budgetId)).reduce((sum, outcome) => sum + outcome.amount, 0);
    expect(Math.max(0, heldOn(wide) - 2000)).toBe(0);
    expect(Math.max(0, heldOn(narrow) - 700)).toBe(0);
    // every admitted researcher call holds on both, every writer call on the wide one only
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.admitted) expect([...outcome.budgets].sort()).toEqual(requests[index]!.agent === 'researcher' ? [narrow, wide].sort() : [wide]);
    }
    const headroom = { [wide]: 2000 - heldOn(wide), [narrow]: 700 - heldOn(narrow) };
    const falseRefusals = outcomes.filter((outcome, index) => {
      if (outcome.admitted) return false;
      const under = requests[index]!.agent === 'researcher' ? [wide, narrow] : [wide];
      return under.every((budgetId) => outcome.amount <= headroom[budgetId]!);
    });
    expect(falseRefusals).toHaveLength(0);
  });

  it('releases a hold when it expires, and on DELETE', async () => {
    const workspaceId = `ws_${randomUUID().slice(0, 8)}`;
    await defineBudget(workspaceId, '1.00');
    const [admission] = admissions(env.redisUrl, `${env.redisPrefix}expiry:`, 1);
    const reserve = (cents: number, ttlSeconds = 60) => admission!.reserve({ workspaceId, reservationId: `rsv-${randomUUID()}`, estimatedCostUsd: usd(cents), call: {}, ttlSeconds });
    await reserve(90, 1);
    await expect(reserve(20)).rejects.toMatchObject({ code: BudgetErrorCode.Exceeded, extensions: { remainingUsd: '0.1' } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await reserve(100);
    expect(after.remainingUsd).toBe('0');
    expect(await admission!.release(workspaceId, after.reservationId)).toBe(true);
    expect(await admission!.release('ws_other', after.reservationId)).toBe(false);
    expect((await reserve(100)).remainingUsd).toBe('0');
  });

  it('commits a hold once however often its usage is redelivered', async () => {
    const workspaceId = `ws_${randomUUID().slice(0, 8)}`;
    const budgetId = await defineBudget(workspaceId, '1.00');
    const prefix = `${env.redisPrefix}commit:`;
    const [admission] = admissions(env.redisUrl, prefix, 1);
    const counters = new BudgetCounters({ redis: newRedis(env.redisUrl), prefix });
    const held = await admission!.reserve({ workspaceId, reservationId: 'rsv-commit', estimatedCostUsd: '0.60', call: {} });
    expect(held.remainingUsd).toBe('0.4');
    const period = budgetPeriodAt('daily', 'UTC', Date.now());
    const spend = { suffix: counterSuffix(budgetId, Date.parse(period.start)), spent: unitsUp('0.25'), periodEndMs: Date.parse(period.end) };
    // the reactor's step for the batch holding the call's usage (0.25), replayed three times
    expect(await counters.sync({ commit: 10n, prepare: 5n }, [spend], ['rsv-commit'])).toBe(1);
    expect(await counters.sync({ commit: 10n, prepare: 5n }, [spend], ['rsv-commit'])).toBe(0);
    expect(await counters.sync({ commit: 10n, prepare: 5n }, [spend], ['rsv-commit'])).toBe(0);
    // an older batch arriving late never moves spend back
    expect(await counters.sync({ commit: 9n, prepare: 1n }, [{ ...spend, spent: unitsUp('0.05') }], [])).toBe(0);
    expect((await admission!.reserve({ workspaceId, reservationId: 'rsv-after', estimatedCostUsd: '0.75', call: {} })).remainingUsd).toBe('0');
    // a committed hold cannot be released into headroom again
    expect(await admission!.release(workspaceId, 'rsv-commit')).toBe(true);
    await expect(admission!.reserve({ workspaceId, reservationId: 'rsv-more', estimatedCostUsd: '0.01', call: {} })).rejects.toMatchObject({ code: BudgetErrorCode.Exceeded });
  });

  describe('the counter store restarted mid-run', () => {
    let dir: string;
    let port: number;
    const start = async () => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore', detached: false });
      child.unref();
      await waitFor(`redis-server on ${port}`, () => (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG' ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
    };
    const stop = () => spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'budgets-redis-'));
      port = await freePort();
      await start();
    });
    afterAll(() => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers 503 until every lost hold has expired, then admits against spend only: no overspend', async () => {
      const workspaceId = `ws_${randomUUID().slice(0, 8)}`;
      const budgetId = await defineBudget(workspaceId, '10.00');
      const pool = admissions(`redis://127.0.0.1:${port}`, 'restart:', 4, 500);
      const ttlSeconds = 3;
      // phase 1: 6.00 held, each call about to spend its estimate (the last hold lives until at least issuedFrom + ttl)
      const issuedFrom = Date.now();
      const before = await reserveAll(pool, workspaceId, Array.from({ length: 60 }, () => ({ cents: 10 })), ttlSeconds);
      const heldBefore = before.filter((outcome) => outcome.admitted).reduce((sum, outcome) => sum + outcome.amount, 0);
      expect(heldBefore).toBe(600);
      const lostAt = Date.now();
      stop();
      await start();
      // the calls finish within their holds' lifetime: their usage reaches the spend read model 2 s after the loss
      const period = budgetPeriodAt('daily', 'UTC', Date.now());
      const usageArrives = (async () => {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, lostAt + 2000 - Date.now())));
        await db
          .withSchema(SPEND_SCHEMA)
          .insertInto('spend' as never)
          .values({ budget_id: budgetId, period_start: period.start, period_end: period.end, spend_usd: '6.00', through: '1/1' } as never)
          .execute();
      })();
      // phase 2: closed while a lost hold may live, with a Retry-After; then only the 4.00 left is admitted
      let closed = 0;
      const after: Outcome[] = [];
      await waitFor(
        'admission open again',
        async () => {
          try {
            after.push(...(await reserveAll(pool, workspaceId, [{ cents: 10 }], ttlSeconds)));
            return true;
          } catch (error) {
            if (!(error instanceof BudgetAdmissionError) || error.code !== BudgetErrorCode.CountersRebuilding) {
              // the client reconnecting: closed too
              if (error instanceof BudgetAdmissionError) throw error;
              closed += 1;
              return undefined;
            }
            expect(error.retryAfterSeconds).toBeGreaterThan(0);
            closed += 1;
            return undefined;
          }
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      await usageArrives;
      expect(closed).toBeGreaterThan(0);
      // closed until every lost hold had expired: at least until the holds' first issue plus their lifetime
      expect(Date.now() - issuedFrom).toBeGreaterThanOrEqual(ttlSeconds * 1000);
      after.push(...(await reserveAll(pool, workspaceId, Array.from({ length: 60 }, () => ({ cents: 10 })), ttlSeconds)));
      const heldAfter = after.filter((outcome) => outcome.admitted).reduce((sum, outcome) => sum + outcome.amount, 0);
      expect(heldAfter).toBe(400);
      expect(Math.max(0, heldBefore + heldAfter - 1000)).toBe(0);
    });
  });

  it('reads stale workspaces\' budgets again together, and enforces a budget defined meanwhile once its TTL has passed', async () => {
    const workspaces = [`ws_${randomUUID().slice(0, 8)}`, `ws_${randomUUID().slice(0, 8)}`, `ws_${randomUUID().slice(0, 8)}`];
    await defineBudget(workspaces[0]!, '1.00');
    const reads = new BudgetReadRepository(db);
    const batches: string[][] = [];
    const counting = Object.assign(Object.create(reads) as BudgetReadRepository, {
      blockBudgetsOf: (ids: readonly string[]) => {
        batches.push([...ids].sort());
        return reads.blockBudgetsOf(ids);
      },
    });
    let clock = Date.now();
    const admission = new BudgetAdmission({ counters: new BudgetCounters({ redis: newRedis(env.redisUrl), prefix: `${env.redisPrefix}refresh:` }), reads: counting, horizon: new HoldHorizon(db), budgetsTtlMs: 1000, now: () => clock });
    const reserve = (workspaceId: string, cents: number) => admission.reserve({ workspaceId, reservationId: `rsv-${randomUUID()}`, estimatedCostUsd: usd(cents), call: {}, ttlSeconds: 60 });
    for (const workspaceId of workspaces) await reserve(workspaceId, 10);
    // a block budget of 0.05 USD defined on the second workspace: within the TTL the cached answer stands
    await defineBudget(workspaces[1]!, '0.05');
    expect((await reserve(workspaces[1]!, 10)).budgetIds).toEqual([]);
    expect(batches).toEqual([]);
    // past the TTL: answered from what is known, the three read again in one statement
    clock += 1500;
    await Promise.all(workspaces.map((workspaceId) => reserve(workspaceId, 1)));
    await waitFor('the refresh', async () => (batches.length === 1 ? true : undefined), { timeoutMs: 5_000 });
    expect(batches).toEqual([[...workspaces].sort()]);
    // and now enforced: 10 cents do not fit in 5
    await waitFor('the new budget enforced', async () => reserve(workspaces[1]!, 10).then(() => undefined, (error: unknown) => (error instanceof BudgetAdmissionError && error.code === BudgetErrorCode.Exceeded ? true : undefined)), { timeoutMs: 5_000 });
  });
});
