import type { Redis } from 'ioredis';
import { ADMIT, COVERED, LOAD, OPEN_EPOCH, RELEASE, SYNC } from './counter-scripts';

/** One budget period a reservation is held on: `<budgetId>:<period start ms>`. */
export interface CounterRef {
  readonly suffix: string;
  readonly budgetId: string;
  /** Units of 10⁻⁸ USD, rounded down. */
  readonly limit: number;
  readonly periodEndMs: number;
}

export type AdmitAnswer =
  | { readonly kind: 'ok'; readonly remaining: number }
  | { readonly kind: 'refused'; readonly budgetId: string; readonly headroom: number }
  | { readonly kind: 'load'; readonly suffixes: string[] }
  | { readonly kind: 'rebuild'; readonly readyAt: number }
  | { readonly kind: 'exists' }
  | { readonly kind: 'cover' };

export interface SpendUpdate {
  readonly suffix: string;
  /** Units of 10⁻⁸ USD, rounded up. */
  readonly spent: number;
  readonly periodEndMs: number;
}

type Scripted = Redis & {
  budgetAdmit(...args: Array<string | number>): Promise<string[]>;
  budgetRelease(...args: Array<string | number>): Promise<string>;
  budgetSync(...args: Array<string | number>): Promise<number>;
  budgetLoad(...args: Array<string | number>): Promise<number>;
  budgetOpenEpoch(...args: Array<string | number>): Promise<string>;
  budgetCovered(...args: Array<string | number>): Promise<number>;
};

export const counterSuffix = (budgetId: string, periodStartMs: number): string => `${budgetId}:${periodStartMs}`;

/** How long a counter outlives its period (and a reservation record its expiry): late commits still find it. */
const KEEP_MS = 2 * 86_400_000;

/** The counters' key prefix: BUDGETS_REDIS_PREFIX, else the gateway's Redis prefix (a test stack's own) + `budgets:`. */
export function budgetCountersPrefixFromEnv(env: NodeJS.ProcessEnv): string {
  return env.BUDGETS_REDIS_PREFIX || `${env.GATEWAY_REDIS_PREFIX || 'steward:'}budgets:`;
}

/**
 * The reservation counters in Redis: spend and live holds per budget period,
 * each change one Lua script (atomic over every budget it touches). The
 * decisions live in the scripts: admit (all or none), release, the spend
 * reactor's sync (spend moves forward only; usage carrying a reservation id
 * commits its hold once), load (a counter created from the read model).
 */
export class BudgetCounters {
  private readonly redis: Scripted;
  readonly prefix: string;

  constructor(deps: { readonly redis: Redis; readonly prefix: string }) {
    this.prefix = deps.prefix;
    const redis = deps.redis as Scripted;
    if (typeof redis.budgetAdmit !== 'function') {
      redis.defineCommand('budgetAdmit', { numberOfKeys: 1, lua: ADMIT });
      redis.defineCommand('budgetRelease', { numberOfKeys: 1, lua: RELEASE });
      redis.defineCommand('budgetSync', { numberOfKeys: 1, lua: SYNC });
      redis.defineCommand('budgetLoad', { numberOfKeys: 1, lua: LOAD });
      redis.defineCommand('budgetOpenEpoch', { numberOfKeys: 1, lua: OPEN_EPOCH });
      redis.defineCommand('budgetCovered', { numberOfKeys: 1, lua: COVERED });
    }
    this.redis = redis;
  }

  async admit(request: { now: number; id: string; amount: number; expiresAt: number; workspaceId: string; refs: readonly CounterRef[] }): Promise<AdmitAnswer> {
    const args: Array<string | number> = [this.prefix, request.now, request.id, request.amount, request.expiresAt, request.workspaceId, KEEP_MS, request.refs.length];
    for (const ref of request.refs) args.push(ref.suffix, ref.limit, ref.budgetId, ref.periodEndMs);
    const answer = await this.redis.budgetAdmit(...args);
    switch (answer[0]) {
      case 'OK':
        return { kind: 'ok', remaining: Number(answer[1]) };
      case 'REFUSED':
        return { kind: 'refused', budgetId: String(answer[1]), headroom: Number(answer[2]) };
      case 'LOAD':
        return { kind: 'load', suffixes: answer.slice(1).map(String) };
      case 'REBUILD':
        return { kind: 'rebuild', readyAt: Number(answer[1]) };
      case 'EXISTS':
        return { kind: 'exists' };
      case 'COVER':
        return { kind: 'cover' };
      default:
        throw new Error(`unexpected answer from the admission script: ${String(answer[0])}`);
    }
  }

  /** True when the reservation was this workspace's (released now or before); false: unknown here. */
  async release(workspaceId: string, id: string): Promise<boolean> {
    return (await this.redis.budgetRelease(this.prefix, id, workspaceId)) === 'OK';
  }

  /** The spend reactor's step: spend of the batch's budget periods, holds its usage commits. Answers how many holds it committed. */
  async sync(position: { commit: bigint; prepare: bigint }, spends: readonly SpendUpdate[], commits: readonly string[]): Promise<number> {
    if (spends.length === 0 && commits.length === 0) return 0;
    const args: Array<string | number> = [this.prefix, position.commit.toString(), position.prepare.toString(), KEEP_MS, spends.length];
    for (const spend of spends) args.push(spend.suffix, spend.spent, spend.periodEndMs);
    args.push(...commits);
    return this.redis.budgetSync(...args);
  }

  async load(suffix: string, spent: number, position: { commit: bigint; prepare: bigint } | undefined, periodEndMs: number): Promise<void> {
    await this.redis.budgetLoad(this.prefix, suffix, spent, (position?.commit ?? 0n).toString(), (position?.prepare ?? 0n).toString(), periodEndMs, KEEP_MS);
  }

  /** Marks the counters trustworthy from `readyAt` unless already marked; answers the mark in force. */
  async openEpoch(readyAt: number): Promise<number> {
    return Number(await this.redis.budgetOpenEpoch(this.prefix, readyAt));
  }

  /** Mirrors the durable hold horizon (ms) in the store: holds expiring up to it need no raise. */
  async covered(horizon: number): Promise<void> {
    await this.redis.budgetCovered(this.prefix, horizon);
  }

  /** The store's bare round trip (the benchmark's yardstick). */
  ping(): Promise<string> {
    return this.redis.ping();
  }
}
