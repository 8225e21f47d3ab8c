import { generateApiKey } from './api-key';
import { generateUserToken, hashUserToken, parseUserToken, userTokenIdFor, verifyUserToken } from './user-token';

describe('generateUserToken', () => {
  it('returns an id, the token shown once and its hash', () => {
    const token = generateUserToken();
    expect(token.id).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(token.secret).toMatch(/^stu_[0-9A-Za-z]{16}_[0-9A-Za-z]{43}$/);
    expect(token.secret.startsWith(`stu_${token.id}_`)).toBe(true);
    expect(token.hash).toBe(hashUserToken(token.secret));
  });

  it('never repeats', () => {
    const tokens = Array.from({ length: 1000 }, () => generateUserToken());
    expect(new Set(tokens.map((t) => t.id)).size).toBe(1000);
    expect(new Set(tokens.map((t) => t.secret)).size).toBe(1000);
  });
});

describe('userTokenIdFor', () => {
  it('gives one well-formed id per seed, under which each token has its own secret', () => {
    const id = userTokenIdFor('command-1');
    expect(userTokenIdFor('command-1')).toBe(id);
    expect(userTokenIdFor('command-2')).not.toBe(id);
    const first = generateUserToken(id);
    const second = generateUserToken(id);
    expect(parseUserToken(first.secret)).toEqual({ id });
    expect(first.id).toBe(id);
    expect(second.secret).not.toBe(first.secret);
    expect(verifyUserToken(second.secret, first.hash)).toBe(false);
  });

  it('refuses an id that is not 16 base62 characters', () => {
    expect(() => generateUserToken('short')).toThrow(/16 base62/);
  });
});

describe('hashUserToken', () => {
  it('is SHA-256 hex, the same scheme as API keys', () => {
    expect(hashUserToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('parseUserToken', () => {
  const token = generateUserToken();

  it('returns the id of a well-formed token', () => {
    expect(parseUserToken(token.secret)).toEqual({ id: token.id });
  });

  it('returns undefined for anything else, without throwing', () => {
    for (const text of ['', token.secret.slice(0, -1), `${token.secret} `, `stw${token.secret.slice(3)}`, generateApiKey().secret, undefined, 7, null]) {
      expect(parseUserToken(text)).toBeUndefined();
    }
  });
});

describe('verifyUserToken', () => {
  it('accepts the token against its hash and nothing else', () => {
    const token = generateUserToken();
    const other = generateUserToken();
    expect(verifyUserToken(token.secret, token.hash)).toBe(true);
    expect(verifyUserToken(other.secret, token.hash)).toBe(false);
    expect(verifyUserToken(`${token.secret}x`, hashUserToken(`${token.secret}x`))).toBe(false);
    expect(verifyUserToken(token.secret, 'zz')).toBe(false);
    const key = generateApiKey();
    expect(verifyUserToken(key.secret, key.hash)).toBe(false);
  });
});
