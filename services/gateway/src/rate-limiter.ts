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

/**
 * Claims ARGV[2] requests of the window at once: INCRBY, PEXPIRE on the window's first claim, the window's
 * time left. The claimed requests are numbers `count - n + 1 … count` of the window.
 */
const CLAIM = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }
`;

const CLAIM_SHA = createHash('sha1').update(CLAIM).digest('hex');

/** A claim grows (doubling from 1) only while the previous one was used up within this long. */
export const RATE_LIMIT_RAMP_MS = 1_000;
/** The most one claim takes, as a share of the limit: what one replica may leave unused in a window. */
export const RATE_LIMIT_MAX_CLAIM_SHARE = 0.01;
/** Principals tracked locally before the ones whose window ended are dropped (then all, if still over). */
export const RATE_LIMIT_MAX_TRACKED = 10_000;

/** What this process holds of one principal's current window. */
interface Lease {
  /** The next request number to hand out, and the last one claimed. */
  next: number;
  last: number;
  /** Local clock; taken before the claim was sent, so never later than the Redis key's expiry. */
  windowEndsAt: number;
  /** Size of the last claim and when it was made (its successor may double while requests keep coming). */
  claimed: number;
  claimedAt: number;
  /** The claim in flight; requests arriving meanwhile wait for it. */
  refill: Promise<void> | undefined;
}

/**
 * Fixed-window counters in Redis, one per principal and window, claimed in blocks.
 *
 * Each request of a window has a number (1, 2, …); it is allowed when its number is within the limit, and
 * `RateLimit-Remaining` is the limit minus that number. Numbers are claimed from the Redis counter with one
 * INCRBY (EVALSHA; the script is sent again only when Redis lacks it): the first claim of a window takes one,
 * each next claim twice the previous while requests keep coming (the previous block used up within
 * RATE_LIMIT_RAMP_MS), up to RATE_LIMIT_MAX_CLAIM_SHARE of the limit. A busy principal therefore costs a Redis
 * round trip every few thousand requests instead of on every one; a quiet one, one per request.
 * Once the counter has passed the limit, the rest of the window is refused without asking Redis again.
 *
 * Across gateway replicas: each number is handed out once, so a principal never gets more than its limit per
 * window in total. A replica may hold claimed numbers it has not used when the window ends (at most 1% of
 * the limit, only while that principal sent it a steady stream), so a principal spread over N replicas may be
 * refused up to N × 1% of the limit early; `RateLimit-Remaining` is exact on one replica, and on several it
 * may run ahead by the blocks the other replicas hold. With one replica the answers are those of a plain
 * per-request INCR.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(principalKey: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    for (;;) {
      const now = this.now();
      let lease = this.leases.get(principalKey);
      if (lease !== undefined && now >= lease.windowEndsAt && lease.refill === undefined) {
        this.leases.delete(principalKey);
        lease = undefined;
      }
      if (lease !== undefined && lease.refill === undefined) {
        if (lease.next <= lease.last) return decide(lease.next++, lease, policy, now);
        // past the limit: every later number of this window is refused too
        if (lease.last >= policy.limit) return decide(lease.last + 1, lease, policy, now);
      }
      if (lease?.refill !== undefined) {
        await lease.refill;
        continue;
      }
      lease = this.refill(principalKey, lease, policy, now);
      await lease.refill;
    }
  }

  /** Starts a claim for `key` (the lease left as it is while it runs); a failed claim forgets the lease. */
  private refill(key: string, previous: Lease | undefined, policy: RateLimitPolicy, now: number): Lease {
    const maxClaim = Math.max(1, Math.floor(policy.limit * RATE_LIMIT_MAX_CLAIM_SHARE));
    const ramping = previous !== undefined && now - previous.claimedAt < RATE_LIMIT_RAMP_MS;
    const wanted = ramping ? Math.min(maxClaim, previous.claimed * 2) : 1;
    const count = Math.max(1, Math.min(wanted, policy.limit - (previous?.last ?? 0)));
    const lease: Lease = previous ?? { next: 1, last: 0, windowEndsAt: now, claimed: 0, claimedAt: now, refill: undefined };
    this.track(key, lease, now);
    lease.refill = this.claim(key, count, policy.windowMs).then(
      ([last, ttlMs]) => {
        lease.refill = undefined;
        // refills come only once the previous block is used up: this block is all there is
        lease.next = last - count + 1;
        lease.last = last;
        lease.windowEndsAt = now + ttlMs;
        lease.claimed = count;
        lease.claimedAt = now;
      },
      (error: unknown) => {
        lease.refill = undefined;
        if (this.leases.get(key) === lease) this.leases.delete(key);
        throw error;
      },
    );
    return lease;
  }

  private track(key: string, lease: Lease, now: number): void {
    if (this.leases.get(key) === lease) return;
    if (this.leases.size >= RATE_LIMIT_MAX_TRACKED) {
      for (const [tracked, held] of this.leases) if (held.refill === undefined && now >= held.windowEndsAt) this.leases.delete(tracked);
      // forgetting a lease only strands its unused numbers (fewer requests allowed, never more)
      if (this.leases.size >= RATE_LIMIT_MAX_TRACKED) this.leases.clear();
    }
    this.leases.set(key, lease);
  }

  private async claim(key: string, count: number, windowMs: number): Promise<[number, number]> {
    const redisKey = `${this.prefix}rl:${key}`;
    try {
      return (await this.redis.evalsha(CLAIM_SHA, 1, redisKey, String(windowMs), String(count))) as [number, number];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(CLAIM, 1, redisKey, String(windowMs), String(count))) as [number, number];
    }
  }
}

function decide(number: number, lease: Lease, policy: RateLimitPolicy, now: number): RateLimitDecision {
  return {
    allowed: number <= policy.limit,
    limit: policy.limit,
    remaining: Math.max(0, policy.limit - number),
    resetSeconds: Math.max(1, Math.ceil((lease.windowEndsAt - now) / 1000)),
    windowSeconds: Math.ceil(policy.windowMs / 1000),
  };
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
