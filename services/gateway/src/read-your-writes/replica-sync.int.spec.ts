import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect } from 'kysely';
import { connectNats, natsNames, type NatsClients } from '@steward/messaging';
import { CheckpointRepository } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { ProjectionProgress } from './projection-progress';
import { ReplicaSync, ReplicaSyncError } from './replica-sync';

jest.setTimeout(60_000);

/**
 * The replica protocol on the real NATS and Redis: every registered replica acks a sync; a registered
 * replica that never answers is waited out once its registration lapses; one that keeps renewing
 * without answering makes the write fail (the route's 503).
 */
describe('ReplicaSync (real NATS, Redis, PostgreSQL)', () => {
  let env: TestEnv;
  let nats: NatsClients;
  let redis: Redis;
  let progress: ProjectionProgress;
  const synced = { a: 0, b: 0 };
  let a: ReplicaSync;
  let b: ReplicaSync;
  const LEASE = 600;
  const key = (): string => `${env.redisPrefix}gateway:replicas`;
  const nothing = { commit: 0n, prepare: 0n };
  const events = [{ type: 'ApiKeyRevoked', streamId: 'team-x' }];

  beforeAll(async () => {
    env = await createTestEnv();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: env.pool }) });
    await new CheckpointRepository(db).migrate();
    progress = new ProjectionProgress({ connectionString: env.databaseUrl, db });
    await progress.start();
    nats = await connectNats({ servers: env.natsUrl, name: 'replica-sync-test' });
    redis = new Redis(env.redisUrl);
    const replica = (name: 'a' | 'b'): ReplicaSync =>
      new ReplicaSync({ nc: nats.nc, redis, natsPrefix: env.natsPrefix, redisPrefix: env.redisPrefix, progress, onSynced: () => (synced[name] += 1), heartbeatMs: 100, leaseMs: LEASE });
    a = replica('a');
    b = replica('b');
    await a.start();
    await b.start();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await progress?.close();
    redis?.disconnect();
    await nats?.close();
    await env?.dispose();
  });

  it('every live replica acks (its caches emptied) before syncOthers returns; both trust their caches', async () => {
    // a lease is renewed every heartbeat; on a loaded machine the first renewal may come late, so wait for it
    await waitFor('both replicas trusting their caches', async () => (a.trusted() && b.trusted() ? true : undefined), { timeoutMs: 5_000, intervalMs: 20 });
    const before = synced.b;
    await a.syncOthers(nothing, events, 5_000);
    expect(synced.b).toBe(before + 1);
  });

  it('waits out a registered replica that does not answer, until its registration is older than the lease', async () => {
    // a replica that died without leaving: registered a moment ago, no subscriber
    const { now } = await redisTime();
    await redis.zadd(key(), now, 'gw-dead');
    const started = performance.now();
    await a.syncOthers(nothing, events, 5_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(LEASE - 150);
  });

  it('waits out a hung replica (subscribed, silent, no longer renewing) once its lease lapses, not until the deadline', async () => {
    // a frozen process (a long GC pause, SIGSTOP, a stalled VM): NATS still delivers to its subscription, nobody answers
    const hung = nats.nc.subscribe(natsNames(env.natsPrefix).subject('gateway', 'replicas', 'gw-hung', 'sync'), { callback: () => undefined });
    try {
      const { now } = await redisTime();
      await redis.zadd(key(), now, 'gw-hung');
      const started = performance.now();
      await a.syncOthers(nothing, events, 5_000);
      expect(performance.now() - started).toBeGreaterThanOrEqual(LEASE - 150);
      expect(performance.now() - started).toBeLessThan(2_500);
    } finally {
      hung.unsubscribe();
      await redis.zrem(key(), 'gw-hung');
    }
  });

  it('fails (503 upstream) when a replica keeps renewing without answering', async () => {
    // one command stamped by Redis's clock: a renewal due when syncOthers wakes is queued before its next read,
    // even when this process was descheduled for longer than the lease (a loaded machine)
    const beat = (): Promise<unknown> =>
      redis.eval(`local t = redis.call('TIME') return redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])`, 1, key(), 'gw-deaf');
    await beat();
    const renew = setInterval(() => void beat(), 50);
    try {
      await expect(a.syncOthers(nothing, events, 1_500)).rejects.toBeInstanceOf(ReplicaSyncError);
    } finally {
      clearInterval(renew);
      await redis.zrem(key(), 'gw-deaf');
    }
  });

  it('a closed replica leaves the registry and stops trusting its caches', async () => {
    const c = new ReplicaSync({ nc: nats.nc, redis, natsPrefix: env.natsPrefix, redisPrefix: env.redisPrefix, progress, onSynced: () => undefined, heartbeatMs: 100, leaseMs: LEASE });
    await c.start();
    expect(c.trusted()).toBe(true);
    await c.close();
    expect(c.trusted()).toBe(false);
    expect(await redis.zscore(key(), c.id)).toBeNull();
    const started = performance.now();
    await a.syncOthers(nothing, events, 5_000);
    expect(performance.now() - started).toBeLessThan(LEASE);
  });

  async function redisTime(): Promise<{ now: number }> {
    const [seconds, micros] = (await redis.time()) as [number | string, number | string];
    return { now: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) };
  }
});
