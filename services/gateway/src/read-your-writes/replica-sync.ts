import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Redis } from 'ioredis';
import { formatPosition, parsePosition, type GlobalPosition } from '@steward/event-store';
import { natsNames } from '@steward/messaging';
import type { Logger } from '@steward/observability';
import type { ProjectionProgress, WrittenEvent } from './projection-progress';

export interface ReplicaSyncOptions {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly natsPrefix: string;
  /** Key prefix in Redis (the gateway's, e.g. `steward:`). */
  readonly redisPrefix: string;
  readonly progress: ProjectionProgress;
  /** Runs when this replica has caught up with another's write: empties the caches built from read models. */
  readonly onSynced: () => void;
  readonly logger?: Logger;
  /** How often the replica renews its registration. Default 1,000 ms. */
  readonly heartbeatMs?: number;
  /** How long a registration holds without renewal; the replica trusts its caches only within it. Default 3,000 ms. */
  readonly leaseMs?: number;
}

/** A replica that did not confirm in time: the write's answer becomes a 503. */
export class ReplicaSyncError extends Error {
  constructor(readonly replicas: readonly string[]) {
    super(`gateway replicas ${replicas.join(', ')} did not confirm the change in time`);
    this.name = 'ReplicaSyncError';
  }
}

/** Registers the replica (score: Redis's clock in ms), drops long-gone ones; returns the time. */
const HEARTBEAT_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
return now`;

/** Redis's time and every replica registered within the lease, with its last heartbeat. */
const LIVE_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf', 'WITHSCORES')
table.insert(live, 1, tostring(now))
return live`;

interface SyncRequest {
  readonly position: string;
  readonly events: readonly WrittenEvent[];
  readonly timeoutMs: number;
}

/**
 * Makes a change visible at every gateway replica before its write answers.
 *
 * Each replica registers in Redis with a heartbeat (a sorted set scored by
 * Redis's clock) and answers sync requests on its own core-NATS subject. A
 * writing replica, once its own view has passed the write's position, asks
 * every replica registered within the lease to do the same
 * (`ProjectionProgress.waitFor`, then `onSynced`: caches emptied) and waits for
 * each one's ack. A replica that does not ack is waited out: it trusts its
 * caches only until `leaseMs` after it last *sent* a successful heartbeat, and
 * it renews only while its NATS connection and its progress listener work,
 * so once its registration is older than the lease it no longer serves from a
 * cache. If a replica keeps renewing without acking before the deadline, the
 * write answers 503 (resent with its Idempotency-Key, it waits again).
 */
export class ReplicaSync {
  readonly id = `gw-${randomUUID()}`;
  private readonly key: string;
  private readonly subject: (id: string) => string;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private leaseUntil = 0;
  private beating: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ReplicaSyncOptions) {
    this.key = `${options.redisPrefix}gateway:replicas`;
    const names = natsNames(options.natsPrefix);
    this.subject = (id) => names.subject('gateway', 'replicas', id, 'sync');
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 3_000;
  }

  /** Subscribes, registers (first heartbeat) and keeps renewing. */
  async start(): Promise<void> {
    this.subscription = this.options.nc.subscribe(this.subject(this.id), { callback: (error, msg) => void this.onRequest(error, msg) });
    void (async () => {
      for await (const status of this.options.nc.status()) {
        // requests may be missed from now on: stop trusting the caches at once
        if (status.type === 'disconnect') this.leaseUntil = 0;
      }
    })().catch(() => undefined);
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Leaves the registry: other replicas stop waiting for this one. */
  async close(): Promise<void> {
    this.closed = true;
    this.leaseUntil = 0;
    if (this.timer) clearInterval(this.timer);
    this.subscription?.unsubscribe();
    await this.beating;
    await this.options.redis.zrem(this.key, this.id).catch(() => undefined);
  }

  /** True while this replica may serve from its caches (its registration is current). */
  trusted(): boolean {
    return !this.closed && performance.now() < this.leaseUntil && this.options.progress.listening;
  }

  /**
   * Has every other live replica caught up with a write at `position` (its view past it for `events`,
   * its caches emptied); throws ReplicaSyncError when one has not within `timeoutMs`.
   */
  async syncOthers(position: GlobalPosition, events: readonly WrittenEvent[], timeoutMs: number): Promise<void> {
    const deadline = performance.now() + Math.max(0, timeoutMs);
    const request: SyncRequest = { position: formatPosition(position), events: events.map(({ type, streamId }) => ({ type, streamId })), timeoutMs };
    const payload = JSON.stringify(request);
    let pending: Map<string, number> | undefined;
    for (;;) {
      const { now, live } = await this.live();
      const seen = performance.now();
      // when a registration seen at `now` (Redis's clock) lapses, on this process's clock (a little late, never early)
      const lapsesAt = (beat: number): number => seen + beat + this.leaseMs - now + 1;
      // first round: everyone registered; later rounds: those not yet confirmed whose registration still holds
      // (a replica is out only once its last heartbeat is older than the lease, never for not having renewed yet)
      const round = pending === undefined ? live : new Map([...live].filter(([id]) => pending!.has(id)));
      round.delete(this.id);
      const failed = new Map<string, number>();
      await Promise.all(
        [...round].map(async ([id, beat]) => {
          // no longer than its registration holds: a hung replica (subscribed, silent) is then out or, renewed, asked again
          if (!(await this.ask(id, payload, Math.min(deadline, lapsesAt(beat))))) failed.set(id, beat);
        }),
      );
      if (failed.size === 0) return;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new ReplicaSyncError([...failed.keys()]);
      // a replica that did not answer is out once its registration is older than the lease
      const lapse = Math.max(...[...failed.values()].map(lapsesAt)) - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(lapse, 1), remaining)));
      pending = failed;
    }
  }

  private async ask(id: string, payload: string, deadline: number): Promise<boolean> {
    const timeout = Math.floor(deadline - performance.now());
    if (timeout <= 0) return false;
    try {
      const reply = await this.options.nc.request(this.subject(id), payload, { timeout });
      return (JSON.parse(reply.string()) as { ok?: unknown }).ok === true;
    } catch {
      return false;
    }
  }

  private async live(): Promise<{ now: number; live: Map<string, number> }> {
    const result = (await this.options.redis.eval(LIVE_SCRIPT, 1, this.key, String(this.leaseMs))) as string[];
    const live = new Map<string, number>();
    for (let i = 1; i + 1 < result.length; i += 2) live.set(result[i]!, Number(result[i + 1]));
    return { now: Number(result[0]), live };
  }

  private async onRequest(error: Error | null, msg: Msg): Promise<void> {
    if (error) return;
    let ok = false;
    try {
      const request = JSON.parse(msg.string()) as SyncRequest;
      await this.options.progress.waitFor(parsePosition(request.position), request.events, Math.max(1, request.timeoutMs));
      this.options.onSynced();
      ok = true;
    } catch (failure) {
      this.options.logger?.warn({ err: failure }, 'replica sync: could not catch up with another replica’s write');
    }
    msg.respond(JSON.stringify({ ok }));
  }

  private heartbeat(): Promise<void> {
    this.beating ??= (async () => {
      const sent = performance.now();
      try {
        // renew only while this replica can hear both sync requests and projection progress
        if (!this.options.progress.listening) return;
        await withTimeout(this.options.nc.flush(), this.heartbeatMs);
        await this.options.redis.eval(HEARTBEAT_SCRIPT, 1, this.key, this.id, String(this.leaseMs * 20));
        if (this.closed) return;
        // regained after a lapse: sync requests may have been missed meanwhile, so nothing kept from before is trusted
        if (performance.now() >= this.leaseUntil) this.options.onSynced();
        this.leaseUntil = sent + this.leaseMs;
      } catch (error) {
        this.options.logger?.warn({ err: error }, 'replica sync: heartbeat failed; caches off until it succeeds');
      }
    })().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
