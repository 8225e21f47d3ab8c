import type { NatsConnection } from '@nats-io/nats-core';
import type { Redis } from 'ioredis';
import type pg from 'pg';

export type CheckStatus = 'up' | 'down';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly status: 'ready' | 'unavailable';
  readonly checks: Readonly<Record<'postgres' | 'nats' | 'redis', CheckResult>>;
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

/** PostgreSQL `SELECT 1`, a NATS flush (a round trip to the server), Redis PING, side by side. */
export async function checkReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const [postgres, nats, redis] = await Promise.all([
    timed(() => deps.pool.query('SELECT 1'), timeoutMs),
    timed(async () => {
      if (deps.nats.isClosed()) throw new Error('connection closed');
      await deps.nats.flush();
    }, timeoutMs),
    timed(async () => {
      const answer = await deps.redis.ping();
      if (answer !== 'PONG') throw new Error(`unexpected answer ${answer}`);
    }, timeoutMs),
  ]);
  const checks = { postgres, nats, redis };
  return { status: Object.values(checks).every((check) => check.status === 'up') ? 'ready' : 'unavailable', checks };
}
