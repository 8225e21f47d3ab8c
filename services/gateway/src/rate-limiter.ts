import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RateLimitPolicy {
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
  readonly windowSeconds: number;
}

/** Counts and expires in one step: INCR, PEXPIRE on the first hit, the window's time left. */
const FIXED_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }
`;

const FIXED_WINDOW_SHA = createHash('sha1').update(FIXED_WINDOW).digest('hex');

/** Fixed-window counters in Redis, one per principal and window (EVALSHA; the script is sent again only when Redis lacks it). */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(principalKey: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    const key = `${this.prefix}rl:${principalKey}`;
    const [count, ttlMs] = (await this.run(key, String(policy.windowMs))) as [number, number];
    return {
      allowed: count <= policy.limit,
      limit: policy.limit,
      remaining: Math.max(0, policy.limit - count),
      resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
      windowSeconds: Math.ceil(policy.windowMs / 1000),
    };
  }

  private async run(key: string, windowMs: string): Promise<unknown> {
    try {
      return await this.redis.evalsha(FIXED_WINDOW_SHA, 1, key, windowMs);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(FIXED_WINDOW, 1, key, windowMs);
    }
  }
}

/** The RateLimit-* response headers (IETF draft) for a decision. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
    'ratelimit-policy': `${decision.limit};w=${decision.windowSeconds}`,
  };
}
