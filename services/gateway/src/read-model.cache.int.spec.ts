/**
 * ReadModelCache against the real PostgreSQL: answers are kept until the projection's channel is
 * notified (as the projection runner does inside each batch's transaction), never kept when a change
 * lands while they are loading, and never served while nothing listens.
 */
import { readModelChannel } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { ReadModelCache } from './read-model.cache';

jest.setTimeout(30_000);

describe('ReadModelCache', () => {
  let env: TestEnv;
  const caches: ReadModelCache[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });

  afterAll(async () => {
    await env?.dispose();
  });

  const cacheOf = (projection: string): ReadModelCache => {
    const cache = new ReadModelCache(projection, { pool: env.pool, connectionString: env.databaseUrl });
    caches.push(cache);
    return cache;
  };
  const changed = async (projection: string): Promise<void> => {
    await env.pool.query('SELECT pg_notify($1, $2)', [readModelChannel(projection), '']);
  };

  it('serves the kept answer until the read model changes, then loads again', async () => {
    const cache = cacheOf('cache_probe_a');
    await cache.start();
    let loads = 0;
    const load = async (): Promise<{ n: number }> => ({ n: ++loads });
    expect(await cache.get('k', load)).toEqual({ n: 1 });
    expect(await cache.get('k', load)).toEqual({ n: 1 });
    expect(await cache.get('other', load)).toEqual({ n: 2 });
    // another projection's change leaves this cache alone
    await changed('cache_probe_other');
    await changed('cache_probe_a');
    await waitFor('the change heard', () => (cache.size === 0 ? true : undefined));
    expect(await cache.get('k', load)).toEqual({ n: 3 });
    expect(await cache.get('k', load)).toEqual({ n: 3 });
  });

  it('does not keep an answer whose query ran while the read model changed', async () => {
    const cache = cacheOf('cache_probe_b');
    await cache.start();
    let loads = 0;
    const slowLoad = async (): Promise<number> => {
      const n = ++loads;
      if (n === 1) {
        await changed('cache_probe_b');
        // the notification arrives while this (possibly old) answer is still being read
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return n;
    };
    expect(await cache.get('k', slowLoad)).toBe(1);
    expect(await cache.get('k', slowLoad)).toBe(2);
    expect(await cache.get('k', slowLoad)).toBe(2);
  });

  it('serves nothing from memory while it is not listening', async () => {
    const cache = cacheOf('cache_probe_c');
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    expect(cache.active).toBe(false);
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(2);
    await cache.start();
    expect(cache.active).toBe(true);
    expect(await cache.get('k', load)).toBe(3);
    expect(await cache.get('k', load)).toBe(3);
    await cache.close();
    expect(await cache.get('k', load)).toBe(4);
  });

  it('keeps at most maxEntries answers, the least recently used leaving first', async () => {
    const cache = new ReadModelCache('cache_probe_d', { pool: env.pool, connectionString: env.databaseUrl, maxEntries: 2 });
    caches.push(cache);
    await cache.start();
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    await cache.get('a', load); // 1
    await cache.get('b', load); // 2
    await cache.get('a', load); // kept: a is now the most recent
    await cache.get('c', load); // 3, b leaves
    expect(cache.size).toBe(2);
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('b', load)).toBe(4);
  });
});
