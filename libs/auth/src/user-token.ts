import { derivedBase62, generateToken, hashToken, parseToken, verifyToken, type TokenFormat } from './opaque-token';

/**
 * User tokens for people, issued at bootstrap and on invitation acceptance: `stu_<id16>_<secret43>`.
 * Opaque (not JWTs): stored only as a hash under their id, so revoking one is deleting or flagging a row,
 * effective at once.
 */
const USER_TOKEN: TokenFormat = { kind: 'stu', handleLength: 16 };

export interface GeneratedUserToken {
  /** The token's id (16 base62 characters): the lookup handle and the handle to revoke it by. */
  readonly id: string;
  /** The whole token: shown once, never stored, never logged. */
  readonly secret: string;
  /** hashUserToken(secret): the only thing stored. */
  readonly hash: string;
}

/**
 * A new user token with a fresh secret; under `id` when given (userTokenIdFor: the token one command issues,
 * which a retry of that command finds again), else under a random id.
 */
export function generateUserToken(id?: string): GeneratedUserToken {
  const token = generateToken(USER_TOKEN, id);
  return { id: token.handle, secret: token.text, hash: token.hash };
}

/** The id of the user token issued for `seed` (a command id): the same seed, the same id; never the secret. */
export function userTokenIdFor(seed: string): string {
  return derivedBase62(`steward:user-token:${seed}`, USER_TOKEN.handleLength);
}

/** SHA-256 hex of the whole token text (same scheme as API keys). */
export function hashUserToken(secret: string): string {
  return hashToken(secret);
}

/** The token's id when `text` has exactly the user token format; undefined otherwise (never throws). */
export function parseUserToken(text: unknown): { readonly id: string } | undefined {
  const parsed = parseToken(USER_TOKEN, text);
  return parsed === undefined ? undefined : { id: parsed.handle };
}

/** Whether `text` is a well-formed user token whose hash equals `storedHash` (constant-time comparison). */
export function verifyUserToken(text: unknown, storedHash: string): boolean {
  return verifyToken(USER_TOKEN, text, storedHash);
}
