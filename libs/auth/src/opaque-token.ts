import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque bearer tokens: `<kind>_<handle>_<secret>`, all base62 (no `-` or `_` inside a part, so a
 * double-click selects the whole token and the format is unambiguous). The handle is public (shown in
 * lists, used to find the stored hash); the secret is 256 random bits, shown once, never stored.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^43 > 2^256: 43 base62 digits hold any 32-byte secret. */
export const SECRET_LENGTH = 43;
const SECRET_BYTES = 32;

export type TokenKind = 'stw' | 'stu';

export interface TokenFormat {
  readonly kind: TokenKind;
  readonly handleLength: number;
}

/** Uniform random base62 characters (rejection sampling: bytes ≥ 248 would bias the modulo). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** 256 bits from crypto.randomBytes, written as exactly 43 base62 digits. */
function randomSecret(): string {
  let n = BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`);
  let digits = '';
  while (n > 0n) {
    digits = BASE62[Number(n % 62n)] + digits;
    n /= 62n;
  }
  return digits.padStart(SECRET_LENGTH, '0');
}

/**
 * SHA-256, hex. A deliberately fast hash: the secrets are 256-bit random values, so nobody can guess or
 * brute-force a preimage whatever the hash speed; slow password hashes (bcrypt, scrypt, argon2) exist to
 * protect low-entropy human passwords, and here they would only add tens of milliseconds and CPU to every
 * authenticated request at the gateway. The full token text is hashed, binding the handle to its secret.
 */
export function hashToken(text: string): string {
  // one-shot (no Hash object): a third cheaper than createHash on every authenticated request
  return hash('sha256', text, 'hex');
}

export interface ParsedToken {
  readonly handle: string;
  readonly secret: string;
}

function pattern(format: TokenFormat): RegExp {
  return new RegExp(`^${format.kind}_([0-9A-Za-z]{${format.handleLength}})_([0-9A-Za-z]{${SECRET_LENGTH}})$`);
}
const patterns = new Map<string, RegExp>();

/** Strict format check; undefined for anything else (wrong kind, length, alphabet, whitespace, non-string). */
export function parseToken(format: TokenFormat, text: unknown): ParsedToken | undefined {
  if (typeof text !== 'string' || text.length !== format.kind.length + format.handleLength + SECRET_LENGTH + 2) return undefined;
  const key = `${format.kind}:${format.handleLength}`;
  let re = patterns.get(key);
  if (re === undefined) {
    re = pattern(format);
    patterns.set(key, re);
  }
  const match = re.exec(text);
  if (match === null) return undefined;
  return { handle: match[1] as string, secret: match[2] as string };
}

/** `length` base62 characters from the SHA-256 of `seed`: the same seed, the same characters (at most 43). */
export function derivedBase62(seed: string, length: number): string {
  let n = BigInt(`0x${hash('sha256', seed, 'hex')}`);
  let out = '';
  for (let index = 0; index < length; index++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}

/** A new token; `handle` when given (a handle derived from what issues it), else a random one. */
export function generateToken(format: TokenFormat, handle: string = randomBase62(format.handleLength)): { readonly handle: string; readonly text: string; readonly hash: string } {
  if (!new RegExp(`^[0-9A-Za-z]{${format.handleLength}}$`).test(handle)) throw new Error(`a ${format.kind} handle is ${format.handleLength} base62 characters`);
  const text = `${format.kind}_${handle}_${randomSecret()}`;
  return { handle, text, hash: hashToken(text) };
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Constant-time comparison of the token's hash with the stored one; false for malformed input of either. */
export function verifyToken(format: TokenFormat, text: unknown, storedHash: unknown): boolean {
  if (typeof storedHash !== 'string' || !HEX_SHA256.test(storedHash)) return false;
  if (parseToken(format, text) === undefined) return false;
  // the digest's bytes (hashToken's hex, without writing it out and reading it back)
  const actual = hash('sha256', text as string, 'buffer');
  const expected = Buffer.from(storedHash, 'hex');
  return timingSafeEqual(actual, expected);
}
