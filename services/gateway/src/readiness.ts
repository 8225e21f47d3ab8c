import type { NatsConnection } from '@nats-io/nats-core';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { readQuarantineCounts } from '@steward/projections';

export type CheckStatus = 'up' | 'degraded' | 'down';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface ProjectionsCheckResult extends CheckResult {
  /** Events each projection quarantined (projections with none are absent). */
  readonly quarantined?: Readonly<Record<string, number>>;
}

/**
 * `degraded` answers 200, like `ready`: the gateway serves, but a read model lacks the events it
 * quarantined (`npm run steward -- projections quarantine <name>`). Taking every replica out of the
 * load balancer for one skipped event would turn a partial fault into a total one.
 */
export interface ReadinessReport {
  readonly status: 'ready' | 'degraded' | 'unavailable';
  readonly checks: Readonly<Record<'postgres' | 'nats' | 'redis', CheckResult>> & { readonly projections: ProjectionsCheckResult };
}

export interface ReadinessDeps {
  readonly pool: pg.Pool;
  readonly nats: NatsConnection;
  readonly redis: Redis;
  /** Per check. Default 2 s. */
  readonly timeoutMs?: number;
}

async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The projections' quarantine: degraded while any projection holds events it could not apply. */
async function checkProjections(pool: pg.Pool, timeoutMs: number): Promise<ProjectionsCheckResult> {
  let quarantined: Record<string, number> = {};
  const result = await timed(async () => {
    quarantined = await readQuarantineCounts(pool);
  }, timeoutMs);
  if (result.status === 'down' || Object.keys(quarantined).length === 0) return result;
  return { ...result, status: 'degraded', quarantined };
}

/** PostgreSQL `SELECT 1`, a NATS flush (a round trip to the server), Redis PING and the projections' quarantine, side by side. */
export async function checkReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const [postgres, nats, redis, projections] = await Promise.all([
    timed(() => deps.pool.query('SELECT 1'), timeoutMs),
    timed(async () => {
      if (deps.nats.isClosed()) throw new Error('connection closed');
      await deps.nats.flush();
    }, timeoutMs),
    timed(async () => {
      const answer = await deps.redis.ping();
      if (answer !== 'PONG') throw new Error(`unexpected answer ${answer}`);
    }, timeoutMs),
    checkProjections(deps.pool, timeoutMs),
  ]);
  const checks = { postgres, nats, redis, projections };
  const all = Object.values(checks);
  const status = all.some((check) => check.status === 'down') ? 'unavailable' : all.some((check) => check.status === 'degraded') ? 'degraded' : 'ready';
  return { status, checks };
}
