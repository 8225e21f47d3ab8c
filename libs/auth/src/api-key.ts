import { newId } from '@steward/contracts';
import { generateToken, hashToken, parseToken, verifyToken, type TokenFormat } from './opaque-token';

/** `stw_<prefix8>_<secret43>`: the visible prefix finds the key, the secret proves it. */
const API_KEY: TokenFormat = { kind: 'stw', handleLength: 8 };

export interface GeneratedApiKey {
  /** The ApiKey aggregate's id (used in routes: DELETE …/api-keys/{keyId}). */
  readonly id: string;
  /** The visible part, `stw_` + 8 base62 characters: shown in lists, unique lookup handle for the stored hash. */
  readonly prefix: string;
  /** The whole key, `stw_<prefix8>_<secret>`: shown once to the caller, never stored, never logged. */
  readonly secret: string;
  /** hashApiKey(secret): the only thing stored. */
  readonly hash: string;
}

export interface ParsedApiKey {
  /** `stw_` + 8 characters, as returned by generateApiKey. */
  readonly prefix: string;
}

/** A new API key with a 256-bit random secret. */
export function generateApiKey(): GeneratedApiKey {
  const token = generateToken(API_KEY);
  return { id: newId('apiKey'), prefix: `${API_KEY.kind}_${token.handle}`, secret: token.text, hash: token.hash };
}

/** SHA-256 hex of the whole key text (why not bcrypt/argon2: see hashToken in opaque-token.ts). */
export function hashApiKey(secret: string): string {
  return hashToken(secret);
}

/** The key's prefix when `text` has exactly the API key format; undefined for anything else (never throws). */
export function parseApiKey(text: unknown): ParsedApiKey | undefined {
  const parsed = parseToken(API_KEY, text);
  return parsed === undefined ? undefined : { prefix: `${API_KEY.kind}_${parsed.handle}` };
}

/** Whether `text` is a well-formed API key whose hash equals `storedHash` (constant-time comparison). */
export function verifyApiKey(text: unknown, storedHash: string): boolean {
  return verifyToken(API_KEY, text, storedHash);
}
