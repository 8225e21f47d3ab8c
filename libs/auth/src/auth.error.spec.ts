import { ACCESS_RESTRICTED_TITLE, ADMIN_ONLY_DETAIL, AuthError, AuthErrorCode } from './auth.error';

describe('AuthError', () => {
  it('carries a code, a problem title and detail, details and a cause', () => {
    const cause = new Error('root');
    const error = new AuthError(AuthErrorCode.InvalidToken, 'expired', { reason: 'exp' }, { cause, detail: 'The credentials are not valid.' });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.message, error.title, error.detail]).toEqual([
      'AuthError',
      'INVALID_TOKEN',
      'expired',
      'Invalid Credentials',
      'The credentials are not valid.',
    ]);
    expect(error.details).toEqual({ reason: 'exp' });
    expect(error.cause).toBe(cause);
  });

  it('titles every 403 "Access Restricted" and keeps the seeds\' admin-only wording', () => {
    expect(new AuthError(AuthErrorCode.Forbidden, 'x').title).toBe(ACCESS_RESTRICTED_TITLE);
    expect(ACCESS_RESTRICTED_TITLE).toBe('Access Restricted');
    expect(ADMIN_ONLY_DETAIL).toBe('You do not have admin privileges to manage team settings, users, or billing configuration.');
  });

  it('has a title for every code and is recognised by AuthError.is', () => {
    for (const code of Object.values(AuthErrorCode)) {
      const error = new AuthError(code, 'm');
      expect(error.title.length).toBeGreaterThan(0);
      expect(error.detail).toBe('m');
      expect(AuthError.is(error, code)).toBe(true);
    }
    expect(AuthError.is(new AuthError(AuthErrorCode.Forbidden, 'm'), AuthErrorCode.OutOfScope)).toBe(false);
    expect(AuthError.is(new Error('m'))).toBe(false);
  });
});
