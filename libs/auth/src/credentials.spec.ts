import { AuthError, AuthErrorCode } from './auth.error';
import { generateApiKey } from './api-key';
import { readBearerCredential } from './credentials';
import { generateUserToken } from './user-token';

/** The AuthError `fn` throws; fails the test when it throws nothing or something else. */
function authErrorOf(fn: () => unknown): AuthError {
  let thrown: unknown;
  expect(() => {
    try {
      fn();
    } catch (error) {
      thrown = error;
      throw error;
    }
  }).toThrow(AuthError);
  return thrown as AuthError;
}

const codeOf = (fn: () => unknown): AuthErrorCode => authErrorOf(fn).code;

describe('readBearerCredential', () => {
  it('recognises API keys, user tokens and JWTs by format', () => {
    const key = generateApiKey();
    const user = generateUserToken();
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.MEUCIQ';
    expect(readBearerCredential(`Bearer ${key.secret}`)).toEqual({ kind: 'api_key', prefix: key.prefix, token: key.secret });
    expect(readBearerCredential(`bearer  ${user.secret}`)).toEqual({ kind: 'user_token', id: user.id, token: user.secret });
    expect(readBearerCredential(`Bearer ${jwt}`)).toEqual({ kind: 'jwt', token: jwt });
  });

  it('is UNAUTHENTICATED without credentials', () => {
    expect(codeOf(() => readBearerCredential(undefined))).toBe(AuthErrorCode.Unauthenticated);
    expect(codeOf(() => readBearerCredential('  '))).toBe(AuthErrorCode.Unauthenticated);
  });

  it('is INVALID_TOKEN for another scheme or an unknown format, and never echoes the token', () => {
    expect(codeOf(() => readBearerCredential('Basic dXNlcjpwYXNz'))).toBe(AuthErrorCode.InvalidToken);
    expect(codeOf(() => readBearerCredential('Bearer'))).toBe(AuthErrorCode.InvalidToken);
    expect(codeOf(() => readBearerCredential('Bearer stw_short_secret'))).toBe(AuthErrorCode.InvalidToken);
    expect(codeOf(() => readBearerCredential('Bearer a b'))).toBe(AuthErrorCode.InvalidToken);
    expect(codeOf(() => readBearerCredential(`Bearer ${'a'.repeat(9000)}.b.c`))).toBe(AuthErrorCode.InvalidToken);
    const error = authErrorOf(() => readBearerCredential('Bearer s3cr3t-value-here'));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(JSON.stringify({ m: error.message, d: error.details, x: error.detail })).not.toContain('s3cr3t');
  });
});
