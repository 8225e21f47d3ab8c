import { MAX_STEP_CONTENT_BYTES, TRUNCATION_MARKER, type Truncation } from '@steward/contracts';

type Field = Truncation['field'];

/** A text kept whole, or cut to `limit` UTF-8 bytes (marker included) with its original size. */
export function truncateText(text: string, field: Field, limit = MAX_STEP_CONTENT_BYTES): { text: string; truncation?: Truncation } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= limit) return { text };
  const room = limit - Buffer.byteLength(TRUNCATION_MARKER, 'utf8');
  // a cut inside a multi-byte character decodes to U+FFFD at the end: drop it
  const head = Buffer.from(text, 'utf8').subarray(0, room).toString('utf8').replace(/\uFFFD+$/, '');
  return { text: `${head}${TRUNCATION_MARKER}`, truncation: { field, originalBytes: bytes } };
}

/**
 * A tool's parameters or result: kept as JSON while its JSON text fits, else
 * stored as the cut JSON text (a string ending in the marker).
 */
export function truncateJson(value: unknown, field: Field, limit = MAX_STEP_CONTENT_BYTES): { value: unknown; truncation?: Truncation } {
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text, 'utf8') <= limit) return { value };
  const cut = truncateText(text, field, limit);
  return { value: cut.text, ...(cut.truncation ? { truncation: cut.truncation } : {}) };
}
