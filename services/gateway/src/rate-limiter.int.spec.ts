/**
 * RateLimiter against the real Redis: one replica answers exactly as a per-request counter would; several
 * replicas sharing a principal never allow more than its limit per window together, and lose at most the
 * blocks they hold; a new window starts over.
 */
import { createTestEnv, type TestEnv } from '@steward/testing';
import { Redis } from 'ioredis';
import { RATE_LIMIT_MAX_CLAIM_SHARE, RateLimiter, type RateLimitDecision } from './rate-limiter';

jest.setTimeout(30_000);

describe('RateLimiter', () => {
  let env: TestEnv;
  let redis: Redis;
  let claims = 0;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = new Redis(env.redisUrl, { enableAutoPipelining: true });
    // counts the claims that reach Redis
    const evalsha = redis.evalsha.bind(redis) as (...args: unknown[]) => Promise<unknown>;
    (redis as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args: unknown[]) => {
      claims += 1;
      return evalsha(...args);
    };
  });

  afterAll(async () => {
    if (redis) {
      const keys = await redis.keys(`${env.redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await env?.dispose();
  });

  const hits = (limiter: RateLimiter, key: string, count: number, limit: number, windowMs = 60_000): Promise<RateLimitDecision[]> =>
    Promise.all(Array.from({ length: count }, () => limiter.hit(key, { limit, windowMs })));

  it('numbers the requests of a window one by one on one replica, then refuses the rest of it', async () => {
    const limiter = new RateLimiter(redis, env.redisPrefix);
    const sequential: RateLimitDecision[] = [];
    for (let index = 0; index < 5; index++) sequential.push(await limiter.hit('user:one', { limit: 3, windowMs: 60_000 }));
    expect(sequential.map((decision) => [decision.allowed, decision.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(sequential[3]?.resetSeconds).toBeGreaterThanOrEqual(59);
    expect(sequential[3]?.resetSeconds).toBeLessThanOrEqual(60);
    expect(sequential[3]?.windowSeconds).toBe(60);

    const concurrent = await hits(limiter, 'user:many', 500, 400);
    expect(concurrent.filter((decision) => decision.allowed)).toHaveLength(400);
    // every allowed request has its own number: each remaining value 399 … 0 once
    expect(concurrent.filter((decision) => decision.allowed).map((decision) => decision.remaining).sort((a, b) => b - a)).toEqual(
      Array.from({ length: 400 }, (_, index) => 399 - index),
    );
  });

  it('asks Redis once per growing block for a busy principal, and not at all once the window is spent', async () => {
    const limiter = new RateLimiter(redis, env.redisPrefix);
    const before = claims;
    const decisions = await hits(limiter, 'api_key:busy', 5_000, 1_000_000);
    expect(decisions.every((decision) => decision.allowed)).toBe(true);
    const used = claims - before;
    expect(used).toBeGreaterThan(1);
    expect(used).toBeLessThan(100);

    await hits(limiter, 'api_key:small', 10, 10);
    const spent = claims;
    const refused = await hits(limiter, 'api_key:small', 50, 10);
    expect(refused.every((decision) => !decision.allowed)).toBe(true);
    expect(claims - spent).toBeLessThanOrEqual(1);
  });

  it('never lets replicas together allow more than the limit, and strands at most their blocks', async () => {
    const replicas = [new RateLimiter(redis, env.redisPrefix), new RateLimiter(redis, env.redisPrefix), new RateLimiter(redis, env.redisPrefix)];
    const limit = 3_000;
    const rounds = await Promise.all(replicas.map((replica) => hits(replica, 'user:shared', 2_000, limit)));
    const allowed = rounds.flat().filter((decision) => decision.allowed).length;
    expect(allowed).toBeLessThanOrEqual(limit);
    expect(allowed).toBeGreaterThanOrEqual(limit - replicas.length * Math.floor(limit * RATE_LIMIT_MAX_CLAIM_SHARE));
  });

  it('starts over when the window ends', async () => {
    const limiter = new RateLimiter(redis, env.redisPrefix);
    const first = await hits(limiter, 'anonymous:127.0.0.1', 3, 2, 400);
    expect(first.map((decision) => decision.allowed)).toEqual([true, true, false]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const next = await limiter.hit('anonymous:127.0.0.1', { limit: 2, windowMs: 400 });
    expect([next.allowed, next.remaining]).toEqual([true, 1]);
  });
});
