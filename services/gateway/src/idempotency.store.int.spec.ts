/**
 * The Idempotency-Key lease between gateway replicas (two stores on one real
 * Redis, as two gateway processes): a request that runs longer than the lease
 * keeps its key (renewed), a replica that dies mid-request (its renewals stop)
 * frees it within one lease, and a request whose lease lapsed never drops the
 * lease another request took since.
 */
import { Redis } from 'ioredis';
import { type TestEnv, createTestEnv } from '@steward/testing';
import { GatewayErrorCode } from './gateway.error';
import { IdempotencyStore, type Reservation } from './idempotency.store';

const LEASE_MS = 300;

describe('IdempotencyStore leases across replicas (real Redis)', () => {
  let env: TestEnv;
  let redis: Redis;
  let a: IdempotencyStore;
  let b: IdempotencyStore;
  const scope = (key: string) => ({ caller: 'user:u1', key });
  const acquired = (reservation: Reservation) => {
    if (reservation.kind !== 'acquired') throw new Error(`expected the key, got ${reservation.kind}`);
    return reservation;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    env = await createTestEnv();
    redis = new Redis(env.redisUrl);
    a = new IdempotencyStore({ redis, prefix: env.redisPrefix, lockTtlMs: LEASE_MS });
    b = new IdempotencyStore({ redis, prefix: env.redisPrefix, lockTtlMs: LEASE_MS });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${env.redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await env.dispose();
  });

  it('a running request keeps its key past the lease; its answer is replayed at the other replica', async () => {
    const held = acquired(await a.reserve(scope('slow'), 'f1'));
    await sleep(LEASE_MS * 3);
    await expect(b.reserve(scope('slow'), 'f1')).rejects.toMatchObject({ code: GatewayErrorCode.IdempotencyInFlight, retryAfterSeconds: 1 });
    await a.complete(held, { status: 201, headers: {}, body: { id: 'x' } });
    expect(await b.reserve(scope('slow'), 'f1')).toEqual({ kind: 'replay', response: { status: 201, headers: {}, body: { id: 'x' } } });
  });

  it('a replica killed mid-request frees the key within one lease: the retry at the other replica runs', async () => {
    const dead = acquired(await a.reserve(scope('killed'), 'f2'));
    a.stopRenewing(dead); // what SIGKILL does to its renewals
    await expect(b.reserve(scope('killed'), 'f2')).rejects.toMatchObject({ code: GatewayErrorCode.IdempotencyInFlight });
    const started = Date.now();
    let retry: Reservation | undefined;
    while (!retry) {
      retry = await b.reserve(scope('killed'), 'f2').catch(() => undefined);
      if (!retry) await sleep(20);
    }
    expect(retry.kind).toBe('acquired');
    expect(Date.now() - started).toBeLessThan(LEASE_MS + 200);
    b.stopRenewing(acquired(retry));
  });

  it('a request whose lease lapsed does not drop the lease another request took since', async () => {
    const late = acquired(await a.reserve(scope('lapsed'), 'f3'));
    a.stopRenewing(late); // stalled (a long pause), not dead
    await sleep(LEASE_MS + 100);
    const taken = acquired(await b.reserve(scope('lapsed'), 'f3'));
    await a.release(late); // the stalled one fails and releases
    await expect(a.reserve(scope('lapsed'), 'f3')).rejects.toMatchObject({ code: GatewayErrorCode.IdempotencyInFlight });
    await b.release(taken);
    expect((await a.reserve(scope('lapsed'), 'f3')).kind).toBe('acquired');
  });

  it('keeps an answer sealed at rest: a secret shown once is not in Redis, and only the same caller and key open it', async () => {
    const secret = 'whsec_c2VjcmV0LXNob3duLW9uY2UtYW5kLW5ldmVyLWFnYWlu';
    const held = acquired(await a.reserve(scope('secret'), 'f4'));
    await a.complete(held, { status: 201, headers: {}, body: { id: 'nch_1', secret } });
    const stored = await redis.get(held.storageKey);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('nch_1');
    expect(await b.reserve(scope('secret'), 'f4')).toEqual({ kind: 'replay', response: { status: 201, headers: {}, body: { id: 'nch_1', secret } } });
    // another caller with the same key has another entry altogether: the sealed one is never opened for it
    expect((await b.reserve({ caller: 'user:u2', key: 'secret' }, 'f4')).kind).toBe('acquired');
  });
});
