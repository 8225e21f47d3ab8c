import { AuthError, AuthErrorCode } from './auth.error';
import { parseApiKey } from './api-key';
import { parseUserToken } from './user-token';

/** What an `Authorization: Bearer …` header carries, recognised by format alone (no lookup yet). */
export type BearerCredential =
  | { readonly kind: 'api_key'; readonly prefix: string; readonly token: string }
  | { readonly kind: 'user_token'; readonly id: string; readonly token: string }
  | { readonly kind: 'jwt'; readonly token: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_BEARER_LENGTH = 8192;

/**
 * Reads an Authorization header value. Throws AuthError UNAUTHENTICATED when there is no credential at all,
 * INVALID_TOKEN when there is one in no known format (the token itself is never put in the error).
 */
export function readBearerCredential(authorization: string | undefined): BearerCredential {
  if (authorization === undefined || authorization.trim() === '') {
    throw new AuthError(AuthErrorCode.Unauthenticated, 'no credentials', {}, { detail: 'Authentication is required.' });
  }
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
  if (match === null) {
    throw new AuthError(AuthErrorCode.InvalidToken, 'the Authorization header is not a Bearer credential', { reason: 'scheme' }, {
      detail: 'Use "Authorization: Bearer <token>".',
    });
  }
  const token = match[1] as string;
  const apiKey = parseApiKey(token);
  if (apiKey !== undefined) return { kind: 'api_key', prefix: apiKey.prefix, token };
  const userToken = parseUserToken(token);
  if (userToken !== undefined) return { kind: 'user_token', id: userToken.id, token };
  if (token.length <= MAX_BEARER_LENGTH && COMPACT_JWS.test(token)) return { kind: 'jwt', token };
  throw new AuthError(AuthErrorCode.InvalidToken, 'the bearer token has no known format', { reason: 'format' }, {
    detail: 'The credentials are not valid.',
  });
}
