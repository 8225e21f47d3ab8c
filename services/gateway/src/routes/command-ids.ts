import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '../route';

/** A UUID-shaped id derived from text (same text, same id). */
export function derivedUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The command id of a request: derived from the client's Idempotency-Key (per
 * caller, so two callers' keys never collide) when it sent one, else new. A
 * retry with the same key is the same command, which the handler answers as
 * before. `step` tells apart the commands one request sends.
 */
export function commandIdFor(principal: Principal | undefined, idempotencyKey: string | undefined, step = 0): string {
  if (idempotencyKey === undefined) return randomUUID();
  const who = principal ? `${principal.kind}:${principal.id}` : 'anonymous';
  return derivedUuid(`${who}\n${idempotencyKey}\n${step}`);
}
