import { createHash } from 'node:crypto';

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
