import type { IncomingMessage } from 'node:http';
import { GatewayError, GatewayErrorCode } from './gateway.error';

/** Past this many bytes over the limit the connection is dropped instead of drained. */
const DRAIN_FACTOR = 8;

/** The media type of a Content-Type header, lower-cased, without parameters (`application/cloudevents+json`). */
export function mediaTypeOf(contentType: string | undefined): string {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
}

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
  const tooLarge = (): GatewayError => new GatewayError(GatewayErrorCode.PayloadTooLarge, `the body is larger than ${limit} bytes`);
  if (declared !== undefined && Number(declared) > limit * DRAIN_FACTOR) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else if (size > limit * DRAIN_FACTOR) {
      request.destroy();
      break;
    }
  }
  if (size > limit) throw tooLarge();
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch (error) {
    throw new GatewayError(GatewayErrorCode.Validation, 'the body is not valid JSON', {
      errors: [{ field: 'body', message: error instanceof Error ? error.message : 'invalid JSON' }],
      cause: error,
    });
  }
}
