import { CredentialCache } from './credential.cache';

describe('CredentialCache', () => {
  let clock = 0;
  const now = (): number => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('keeps a loaded value for the TTL, then loads again', async () => {
    const cache = new CredentialCache({ ttlMs: 5_000, now });
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    clock += 4_999;
    expect(await cache.get('k', load)).toBe(1);
    clock += 1;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('shares one load between concurrent lookups and does not keep failures', async () => {
    const cache = new CredentialCache({ now });
    let loads = 0;
    let release: (value: string) => void = () => undefined;
    const load = (): Promise<string> => {
      loads += 1;
      return new Promise((resolve) => (release = resolve));
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release('v');
    expect(await both).toEqual(['v', 'v']);
    expect(loads).toBe(1);
    await expect(cache.get('broken', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('broken', async () => 'back')).toBe('back');
  });

  it('invalidate forgets everything: the next lookup reads the new state and keeps it', async () => {
    const cache = new CredentialCache({ ttlMs: 5_000, now });
    let value = 'before';
    const load = async (): Promise<string> => value;
    expect(await cache.get('k', load)).toBe('before');
    value = 'after';
    expect(await cache.get('k', load)).toBe('before');
    cache.invalidate();
    expect(await cache.get('k', load)).toBe('after');
    value = 'later';
    expect(await cache.get('k', load)).toBe('after');
    expect(cache.size).toBe(1);
  });

  it('while not trusted (a replica that lost its lease) looks up every time and keeps nothing', async () => {
    let trusted = true;
    const cache = new CredentialCache({ ttlMs: 5_000, now, trusted: () => trusted });
    let value = 'before';
    const load = async (): Promise<string> => value;
    expect(await cache.get('k', load)).toBe('before');
    trusted = false;
    value = 'revoked';
    expect(await cache.get('k', load)).toBe('revoked');
    expect(cache.size).toBe(0);
    trusted = true;
    value = 'again';
    expect(await cache.get('k', load)).toBe('again');
  });

  it('does not keep a load that was under way when an invalidation came in', async () => {
    const cache = new CredentialCache({ ttlMs: 5_000, now });
    let release: (value: string) => void = () => undefined;
    const stale = cache.get('k', () => new Promise<string>((resolve) => (release = resolve)));
    cache.invalidate();
    release('stale');
    expect(await stale).toBe('stale');
    expect(await cache.get('k', async () => 'fresh')).toBe('fresh');
  });

  it('with a TTL of 0 looks up every time; starts over past maxEntries', async () => {
    const off = new CredentialCache({ ttlMs: 0, now });
    let loads = 0;
    await off.get('k', async () => ++loads);
    await off.get('k', async () => ++loads);
    expect(loads).toBe(2);
    const small = new CredentialCache({ maxEntries: 2, now });
    await small.get('a', async () => 1);
    await small.get('b', async () => 2);
    await small.get('c', async () => 3);
    expect(small.size).toBe(1);
  });
});
