import { AuthError, AuthErrorCode } from './auth.error';
import { generateApiKey } from './api-key';
import { readBearerCredential } from './credentials';
import { generateUserToken } from './user-token';

function codeOf(fn: () => unknown): AuthErrorCode {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  throw new Error('expected an AuthError');
}

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
    try {
      readBearerCredential('Bearer s3cr3t-value-here');
    } catch (error) {
      expect(JSON.stringify({ m: (error as AuthError).message, d: (error as AuthError).details, x: (error as AuthError).detail })).not.toContain('s3cr3t');
    }
  });
});
