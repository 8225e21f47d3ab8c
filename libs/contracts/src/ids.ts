import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The id of the `index`-th event a command produces, derived from the command
 * id (a name-based UUID, version 8 layout, SHA-256). A command retried or
 * redelivered produces the same event ids, so the store's idempotency makes the
 * retry a no-op instead of a second write.
 */
export function eventIdFor(commandId: string, index: number): string {
  const bytes = createHash('sha256').update(`steward:event:${commandId}:${index}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Steward's resource ids: `<prefix>_<26 characters>`, the 26 characters being
 * lower-case Crockford base32 (`0-9a-z` without `i l o u`), 128 bits, the
 * first character 0–7. A new id (`newId`) is a ULID: 48 bits of milliseconds
 * then 80 random bits, so ids of one kind sort by creation time. An id that
 * must come out the same on a retry (`derivedId`: from a command id, an
 * Idempotency-Key, an email) is the same shape from a SHA-256 of its seed.
 * The scheme and the older forms still accepted are tabled in the README
 * ("Resource ids").
 */
export const ID_PREFIXES = {
  organization: 'org',
  workspace: 'ws',
  invitation: 'inv',
  apiKey: 'key',
  user: 'usr',
  runtime: 'rt',
  runtimeTest: 'tst',
  job: 'job',
  usageBatch: 'bat',
  invoice: 'invc',
  budget: 'bdg',
  budgetReservation: 'rsv',
  notificationChannel: 'nch',
  notificationMessage: 'msg',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;
export const ID_KINDS = Object.keys(ID_PREFIXES) as IdKind[];

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_BODY = `[0-7][${CROCKFORD}]{25}`;

/** An id of `kind` in the current scheme, exactly. */
export const ID_PATTERNS: Readonly<Record<IdKind, RegExp>> = Object.fromEntries(
  ID_KINDS.map((kind) => [kind, new RegExp(`^${ID_PREFIXES[kind]}_${ID_BODY}$`)]),
) as Record<IdKind, RegExp>;

/** 128 bits as 26 base32 digits (the first one carries the top 3 bits, so it is 0–7). */
function base32Of128(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes.subarray(0, 16)) value = (value << 8n) | BigInt(byte);
  let text = '';
  for (let index = 0; index < 26; index++) {
    text = CROCKFORD[Number(value & 31n)] + text;
    value >>= 5n;
  }
  return text;
}

/** A new id of `kind`: a lower-case ULID behind the kind's prefix (`ws_01jf8x2k5b7c9d0e1f2g3h4j5k`). */
export function newId(kind: IdKind, now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  let time = BigInt(Math.max(0, Math.floor(now)));
  for (let index = 5; index >= 0; index--) {
    bytes[index] = Number(time & 0xffn);
    time >>= 8n;
  }
  bytes.set(randomBytes(10), 6);
  return `${ID_PREFIXES[kind]}_${base32Of128(bytes)}`;
}

/**
 * The id of `kind` for `seed`: the same seed gives the same id, so a retried
 * request (same command id, same Idempotency-Key) targets the same aggregate.
 * Seeds of different kinds never give the same id.
 */
export function derivedId(kind: IdKind, seed: string): string {
  return `${ID_PREFIXES[kind]}_${base32Of128(createHash('sha256').update(`steward:id:${kind}\n${seed}`).digest())}`;
}

/** True when `id` is an id of `kind` in the current scheme (older forms answer false, yet stay valid: see ResourceIdSchema). */
export function isCurrentId(kind: IdKind, id: string): boolean {
  return ID_PATTERNS[kind].test(id);
}

/**
 * What every stored id matches: letters, digits, `_` and `-`, at most 100.
 * Path parameters and command payloads take this, not only the current
 * scheme, because older ids stay in the store and stay addressable: the
 * gateway's `org-<32 hex>`, the bootstrap's `org_<24 hex>`, ids an internal
 * service chose over NATS. An id that matches nothing stored is a 404.
 */
export const RESOURCE_ID_GRAMMAR = /^[A-Za-z0-9_-]+$/;

export const ResourceIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(RESOURCE_ID_GRAMMAR, 'ids use letters, digits, "_" and "-"');

/** A `kind` id as a path parameter or command field, documented with the current scheme. */
export function resourceIdSchema(kind: IdKind) {
  return ResourceIdSchema.meta({ description: `${kind} id: \`${ID_PREFIXES[kind]}_\` and 26 lower-case Crockford base32 characters; ids of older forms stay valid` });
}
