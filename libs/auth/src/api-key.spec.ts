import { generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from './api-key';
import { isCurrentId } from '@steward/contracts';
import { generateUserToken } from './user-token';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function decodeBase62(text: string): bigint {
  return [...text].reduce((n, char) => n * 62n + BigInt(BASE62.indexOf(char)), 0n);
}

const FORMAT = /^stw_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/;

describe('generateApiKey', () => {
  it('returns an id, the visible prefix, the key shown once and its hash', () => {
    const key = generateApiKey();
    expect(isCurrentId('apiKey', key.id)).toBe(true);
    expect(key.secret).toMatch(FORMAT);
    expect(key.prefix).toMatch(/^stw_[0-9A-Za-z]{8}$/);
    expect(key.secret.startsWith(`${key.prefix}_`)).toBe(true);
    expect(key.hash).toBe(hashApiKey(key.secret));
    expect(key.hash).not.toContain(key.secret.slice(13));
  });

  it('draws fresh randomness every time: 256-bit secrets, no repeats, every base62 digit used', () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.secret)).size).toBe(keys.length);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(keys.length);
    expect(new Set(keys.map((k) => k.id)).size).toBe(keys.length);
    const secretParts = keys.map((k) => k.secret.slice(13));
    const alphabet = new Set(secretParts.join(''));
    expect(alphabet.size).toBe(62);
    // Each secret is a 256-bit number written in base62: below 2^256, and the top bit is set about half the time.
    const values = secretParts.map(decodeBase62);
    expect(values.every((n) => n < 2n ** 256n)).toBe(true);
    const topBitSet = values.filter((n) => n >= 2n ** 255n).length;
    expect(topBitSet).toBeGreaterThan(800);
    expect(topBitSet).toBeLessThan(1200);
  });
});

describe('hashApiKey', () => {
  it('is the lower-case hex SHA-256 of the key text', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('stw_x')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parseApiKey', () => {
  const { secret, prefix } = generateApiKey();

  it('returns the prefix of a well-formed key', () => {
    expect(parseApiKey(secret)).toEqual({ prefix });
  });

  it.each([
    ['empty', ''],
    ['prefix only', prefix],
    ['one character short', secret.slice(0, -1)],
    ['one character long', `${secret}A`],
    ['leading space', ` ${secret}`],
    ['trailing newline', `${secret}\n`],
    ['another kind', `stu${secret.slice(3)}`],
    ['upper-case kind', `STW${secret.slice(3)}`],
    ['dash in the secret', `${secret.slice(0, -1)}-`],
    ['underscore in the prefix', `stw_abc_defg${secret.slice(12)}`],
    ['a user token', generateUserToken().secret],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln'],
    ['non-ASCII digits', secret.slice(0, -1) + '٣'],
  ])('returns undefined for %s', (_label, text) => {
    expect(parseApiKey(text)).toBeUndefined();
  });

  it('returns undefined for non-strings instead of throwing', () => {
    for (const value of [undefined, null, 42, {}, [], Buffer.from(secret)]) expect(parseApiKey(value)).toBeUndefined();
  });
});

describe('verifyApiKey', () => {
  const key = generateApiKey();

  it('accepts the key against its own hash', () => {
    expect(verifyApiKey(key.secret, key.hash)).toBe(true);
  });

  it('refuses another key, a tampered key, a malformed key and a malformed stored hash', () => {
    const other = generateApiKey();
    expect(verifyApiKey(other.secret, key.hash)).toBe(false);
    const flipped = key.secret.slice(0, -1) + (key.secret.endsWith('A') ? 'B' : 'A');
    expect(verifyApiKey(flipped, key.hash)).toBe(false);
    // Another key's secret under this key's prefix: the hash binds prefix and secret.
    expect(verifyApiKey(`${key.prefix}_${other.secret.slice(13)}`, key.hash)).toBe(false);
    expect(verifyApiKey('not a key', hashApiKey('not a key'))).toBe(false);
    expect(verifyApiKey(key.secret, key.hash.toUpperCase())).toBe(false);
    expect(verifyApiKey(key.secret, key.hash.slice(0, 63))).toBe(false);
    expect(verifyApiKey(key.secret, '')).toBe(false);
  });
});
