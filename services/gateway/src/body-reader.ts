import type { IncomingMessage } from 'node:http';
import { GatewayError, GatewayErrorCode } from './gateway.error';

/**
 * A body over its limit is read to its end and thrown away, so the client reads
 * the 413 (a connection closed under a client still sending loses the answer);
 * past this many bytes (DRAIN_FACTOR times the limit, at least DRAIN_MIN_BYTES) the
 * connection is dropped instead.
 */
const DRAIN_FACTOR = 8;
const DRAIN_MIN_BYTES = 256 * 1024 * 1024;

function drainLimit(limit: number): number {
  return Math.max(limit * DRAIN_FACTOR, DRAIN_MIN_BYTES);
}

/** The `charset` parameter of a Content-Type header, lower-cased and unquoted; undefined when there is none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  for (const parameter of contentType?.split(';').slice(1) ?? []) {
    const [name, ...rest] = parameter.split('=');
    if (name?.trim().toLowerCase() === 'charset') return rest.join('=').trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return undefined;
}

/** The media type of a Content-Type header, lower-cased, without parameters (`application/cloudevents+json`). */
export function mediaTypeOf(contentType: string | undefined): string {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isJson(contentType: string | undefined, accepted: readonly string[] | undefined): boolean {
  if (!contentType) return false;
  const media = mediaTypeOf(contentType);
  if (accepted) return accepted.includes(media);
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

/**
 * Reads a JSON body of at most `limit` bytes. 415 when it is not JSON (or, when
 * `mediaTypes` are given, not one of them: the CloudEvents types of the ingest),
 * 413 when too large (the rest is drained so the client reads the answer), 400
 * naming `body` when it does not parse.
 */
export async function readJsonBody(request: IncomingMessage, limit: number, mediaTypes?: readonly string[]): Promise<unknown> {
  return (await readJsonBodyText(request, limit, mediaTypes)).value;
}

/** True when the request announces a body (a length above zero, or chunked). */
export function hasBody(request: IncomingMessage): boolean {
  const declared = request.headers['content-length'];
  return (declared !== undefined && declared !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/** True when a request to a route with this body schema may leave the body out: the schema takes `{}` (e.g. `POST …/test`). */
export function bodyOptional(schema: { safeParse(value: unknown): { success: boolean } }): boolean {
  let optional = optionalBodies.get(schema);
  if (optional === undefined) {
    optional = schema.safeParse({}).success;
    optionalBodies.set(schema, optional);
  }
  return optional;
}
const optionalBodies = new WeakMap<object, boolean>();

/** As readJsonBody, with the body's text too (a batch route fingerprints the bytes for its Idempotency-Key). */
export async function readJsonBodyText(request: IncomingMessage, limit: number, mediaTypes?: readonly string[]): Promise<{ value: unknown; text: string }> {
  const declared = request.headers['content-length'];
  if (!hasBody(request)) {
    throw new GatewayError(GatewayErrorCode.Validation, 'a JSON body is required', { errors: [{ field: 'body', message: 'required' }] });
  }
  if (!isJson(request.headers['content-type'], mediaTypes)) {
    request.resume();
    const accepted = `the body must be ${mediaTypes ? mediaTypes.join(', ') : 'application/json'}`;
    throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, accepted, { errors: [{ field: 'header.content-type', message: accepted }] });
  }
  // JSON is UTF-8 (RFC 8259): a body announced in another charset would be read wrong, so it is refused
  const charset = charsetOf(request.headers['content-type']);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    request.resume();
    throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, `the body must be UTF-8, not ${charset}`, {
      errors: [{ field: 'header.content-type', message: 'charset must be utf-8' }],
    });
  }
  // a coded body would be parsed as if it were plain text: the JSON routes take none (OTLP's gzip is decoded before them)
  const coding = (request.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
  if (coding !== '' && coding !== 'identity') {
    request.resume();
    throw new GatewayError(GatewayErrorCode.UnsupportedMediaType, `Content-Encoding ${coding} is not supported: send the body uncompressed`, {
      errors: [{ field: 'header.content-encoding', message: 'only identity (no encoding)' }],
    });
  }
  const tooLarge = (): GatewayError =>
    new GatewayError(GatewayErrorCode.PayloadTooLarge, `the body is larger than ${limit} bytes`, { errors: [{ field: 'body', message: `at most ${limit} bytes` }] });
  if (declared !== undefined && Number(declared) > drainLimit(limit)) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else if (size > drainLimit(limit)) {
      request.destroy();
      break;
    }
  }
  if (size > limit) throw tooLarge();
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.concat(chunks));
  } catch (error) {
    // bytes that are not UTF-8 would otherwise become U+FFFD and be stored as text the client never sent
    throw new GatewayError(GatewayErrorCode.Validation, 'the body is not valid UTF-8', { errors: [{ field: 'body', message: 'not valid UTF-8' }], cause: error });
  }
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch (error) {
    throw new GatewayError(GatewayErrorCode.Validation, 'the body is not valid JSON', {
      errors: [{ field: 'body', message: error instanceof Error ? error.message : 'invalid JSON' }],
      cause: error,
    });
  }
}
