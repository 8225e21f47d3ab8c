import type { ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { bodyOptional, hasBody, mediaTypeOf, readJsonBody, readJsonBodyText } from './body-reader';
import { GatewayError, GatewayErrorCode } from './gateway.error';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER, bodyFingerprint, parseIdempotencyKey, requestFingerprint, takesIdempotencyKey, type IdempotencyStore, type StoredResponse } from './idempotency.store';
import { PROBLEM_CONTENT_TYPE, type ProblemMapper } from './problem';
import { rateLimitHeaders, type RateLimitPolicy, type RateLimiter } from './rate-limiter';
import { requestPath, requestState, type GatewayRequest } from './request-state';
import { refuseUnstorableParams, validateInput } from './request-validation';
import { requestTenant, type RequestTenant } from './request-tenant';
import { type AnyRoute, type Authenticator, type Authorizer, type Principal } from './route';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Headers a replay gives back as they were. */
const REPLAYED_HEADERS = ['content-type', 'location', 'etag', 'last-modified'];

export interface RateLimitSettings {
  /** By principal kind (`api_key`, `user`); `anonymous` for callers without credentials. */
  readonly byKind: Readonly<Record<string, RateLimitPolicy>>;
  /** For kinds not listed. */
  readonly default: RateLimitPolicy;
}

export interface PipelineDeps {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer | undefined;
  readonly rateLimiter: RateLimiter;
  readonly rateLimits: RateLimitSettings;
  readonly idempotency: IdempotencyStore;
  readonly bodyLimitBytes: number;
  readonly requireIdempotencyKey: boolean;
  /** Turns a handler's error into the answer stored for its Idempotency-Key. */
  readonly problems: ProblemMapper;
}

export function sendJson(response: ServerResponse, answer: StoredResponse): void {
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.statusCode = answer.status;
  if (answer.body === undefined || answer.status === 204 || answer.status === 304) {
    response.end();
    return;
  }
  if (!response.hasHeader('content-type')) response.setHeader('content-type', JSON_CONTENT_TYPE);
  response.end(serialized(answer.body));
}

/** The JSON bytes of answer bodies that are served again as the same object (cached read-model answers). */
const serializedBodies = new WeakMap<object, Buffer>();

function serialized(body: unknown): string | Buffer {
  if (typeof body !== 'object' || body === null) return JSON.stringify(body);
  let bytes = serializedBodies.get(body);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(body), 'utf8');
    serializedBodies.set(body, bytes);
  }
  return bytes;
}

/** Resolves once the response can take more (or is gone). */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/**
 * Writes a streamed answer with backpressure. The first chunk is read before
 * the status is sent (an error there still becomes a problem document); an
 * error after it destroys the response; a client that goes away stops the
 * stream (its `return` runs).
 */
export async function sendStream(
  response: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  stream: AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  let next = await iterator.next();
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.statusCode = status;
  try {
    while (!next.done) {
      if (response.destroyed) {
        await iterator.return?.();
        return;
      }
      if (!response.write(next.value)) await drained(response);
      next = await iterator.next();
    }
    response.end();
  } catch (error) {
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * One API request, in order: authenticate → rate limit → 401 without
 * credentials → authorize → read and validate → idempotency → handler →
 * response schema. Anything thrown goes to the exception filter, which
 * answers with a problem document.
 */
export class RequestPipeline {
  private readonly shapedBodies = new WeakMap<object, { readonly schema: unknown; readonly parsed: unknown }>();

  constructor(private readonly deps: PipelineDeps) {}

  async handle(route: AnyRoute, request: GatewayRequest, response: ServerResponse): Promise<void> {
    const state = requestState(request);
    state.route = route.path;
    const path = requestPath(request);
    const rawParams = request.params ?? {};

    const principal = await this.deps.authenticator.authenticate({
      method: route.method,
      path,
      headers: request.headers,
      query: request.query as Record<string, unknown> | undefined,
    });
    if (principal) state.principal = `${principal.kind}:${principal.id}`;
    const principalKey = principal ? `${principal.kind}:${principal.id}` : `anonymous:${request.socket.remoteAddress ?? 'unknown'}`;

    const policy = this.deps.rateLimits.byKind[principal?.kind ?? 'anonymous'] ?? this.deps.rateLimits.default;
    const decision = await this.deps.rateLimiter.hit(principalKey, policy);
    for (const [name, value] of Object.entries(rateLimitHeaders(decision))) response.setHeader(name, value);
    if (!decision.allowed) {
      throw new GatewayError(GatewayErrorCode.RateLimited, `rate limit of ${decision.limit} requests per ${decision.windowSeconds} s reached`, {
        retryAfterSeconds: decision.resetSeconds,
      });
    }
    // after the rate limit, so guessing credentials spends the anonymous budget
    if (route.permission !== null && !principal) {
      throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token or an API key');
    }

    // path and query parameters no store could hold are a 400 before the tenant is looked up (PostgreSQL would refuse a NUL)
    refuseUnstorableParams(rawParams, request.query);
    const tenant = requestTenant(route, rawParams, request.query as Record<string, unknown> | undefined, request.headers, principal);
    const { organizationId, workspaceId } = tenant;
    // the principal as it acts on this tenant (a person of several organizations: in the one of the target)
    const acting = route.permission !== null ? await this.authorize(principal as Principal, route, tenant) : principal;

    const keyed = takesIdempotencyKey(route);
    const idempotencyKey = keyed ? parseIdempotencyKey(request.headers[IDEMPOTENCY_HEADER]) : undefined;
    if (keyed && route.method === 'POST' && idempotencyKey === undefined && this.deps.requireIdempotencyKey) {
      throw new GatewayError(GatewayErrorCode.Validation, 'an Idempotency-Key header is required on POST', {
        errors: [{ field: 'header.Idempotency-Key', message: 'required' }],
      });
    }
    const bodyLimit = route.bodyLimitBytes ?? this.deps.bodyLimitBytes;
    // a raw (batch) body is fingerprinted by its bytes for the Idempotency-Key: a retry sends the same bytes
    const raw = route.rawBody ? await readJsonBodyText(request, bodyLimit, Object.keys(route.rawBody.content)) : undefined;
    // a route whose body schema takes {} (nothing to say, e.g. re-running a test) may be called without a body
    const rawBody = route.body ? (!hasBody(request) && bodyOptional(route.body) ? {} : await readJsonBody(request, bodyLimit)) : raw?.value;
    const input = validateInput(route, { params: rawParams, query: request.query, body: rawBody }, { paramsChecked: true });

    // A key is bound to the whole request: caller, method, route, path parameters, query, named tenant, body.
    const fingerprint =
      idempotencyKey === undefined
        ? undefined
        : requestFingerprint({
            method: route.method,
            route: route.path,
            params: input.params ?? {},
            query: input.query ?? {},
            tenant,
            mediaType: route.rawBody ? mediaTypeOf(request.headers['content-type']) : undefined,
            // what else the route says makes two raw bodies different (a binary-mode CloudEvent's ce-* headers)
            headers: route.rawBody?.fingerprintHeaders?.(request.headers) ?? '',
            // a raw (batch) body by its bytes: a retry sends the same bytes, and canonical JSON of 10,000 events costs tens of ms
            body: raw ? createHash('sha256').update(raw.text).digest('hex') : bodyFingerprint(rawBody),
          });
    // Callers without credentials cannot be told apart: their keys live per request, never meeting another's.
    const caller = principal ? principalKey : `${principalKey}\n${fingerprint ?? ''}`;
    const reservation =
      idempotencyKey !== undefined && fingerprint !== undefined ? await this.deps.idempotency.reserve({ caller, key: idempotencyKey }, fingerprint) : undefined;
    // Ids derived from the key (command ids, new resources) are derived from the key bound to this request.
    const requestKey = idempotencyKey !== undefined && fingerprint !== undefined ? `${idempotencyKey}\n${fingerprint}` : undefined;
    if (reservation?.kind === 'replay') {
      response.setHeader(REPLAYED_HEADER, 'true');
      sendJson(response, reservation.response);
      return;
    }

    let answer: StoredResponse;
    try {
      try {
        const gone = new AbortController();
        response.once('close', () => gone.abort());
        const result = await route.handler({
          params: input.params ?? {},
          query: input.query ?? {},
          body: route.rawBody ? rawBody : input.body,
          principal: acting,
          organizationId,
          workspaceId,
          requestId: state.requestId,
          idempotencyKey: requestKey,
          headers: request.headers,
          rawText: raw?.text,
          signal: gone.signal,
        });
        if (result.stream) {
          if (reservation) throw new Error(`${route.operationId} answered a stream to a request with an Idempotency-Key`);
          this.shape(route, result.status, undefined, result.headers);
          await sendStream(response, result.status, result.headers ?? {}, result.stream);
          return;
        }
        answer = this.shape(route, result.status, result.body, result.headers);
      } catch (error) {
        if (!reservation) throw error;
        const problem = this.deps.problems(error, path);
        // a 5xx or a 429 (a full ingest backlog) is worth retrying with the same key: it runs again
        if (problem.status >= 500 || problem.status === 429) {
          await this.deps.idempotency.release(reservation);
          throw error;
        }
        answer = { status: problem.status, headers: { ...problem.headers, 'content-type': PROBLEM_CONTENT_TYPE }, body: problem.body };
      }
      if (reservation) {
        const kept = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => REPLAYED_HEADERS.includes(name.toLowerCase()) || name === 'retry-after'));
        await this.deps.idempotency.complete(reservation, { status: answer.status, headers: { 'content-type': JSON_CONTENT_TYPE, ...kept }, body: answer.body });
      }
    } finally {
      // whatever happened above, this request no longer renews its lease on the key
      if (reservation?.kind === 'acquired') this.deps.idempotency.stopRenewing(reservation);
    }
    sendJson(response, answer);
  }

  private async authorize(principal: Principal, route: AnyRoute, tenant: RequestTenant): Promise<Principal> {
    const authorizer = this.deps.authorizer;
    if (!authorizer) throw new GatewayError(GatewayErrorCode.Forbidden, 'no authorizer is configured');
    const check = { permission: route.permission as string, ...tenant };
    const acting = authorizer.actingPrincipal ? await authorizer.actingPrincipal(principal, check) : principal;
    const decision = await authorizer.authorize(acting, check);
    if (decision === 'not-found') throw new GatewayError(GatewayErrorCode.NotFound, 'no such resource');
    if (decision === 'forbidden') throw new GatewayError(GatewayErrorCode.Forbidden, `you may not ${route.permission}`);
    return acting;
  }

  /** Only declared statuses leave, their bodies parsed through the declared schema (undeclared fields dropped). */
  private shape(route: AnyRoute, status: number, body: unknown, headers: Readonly<Record<string, string>> | undefined): StoredResponse {
    if (!(status in route.responses)) throw new Error(`${route.operationId} answered ${status}, which it does not declare`);
    const schema = route.responses[status];
    return { status, headers: { ...headers }, body: schema && body !== undefined ? this.parsed(schema, body) : body };
  }

  /**
   * The body through its schema. A body object answered again (a cached read-model answer, never mutated)
   * is parsed once: the same object, through the same schema, gives the same result.
   */
  private parsed(schema: NonNullable<AnyRoute['responses'][number]>, body: unknown): unknown {
    if (typeof body !== 'object' || body === null) return schema.parse(body);
    const kept = this.shapedBodies.get(body);
    if (kept !== undefined && kept.schema === schema) return kept.parsed;
    const parsed: unknown = schema.parse(body);
    this.shapedBodies.set(body, { schema, parsed });
    return parsed;
  }
}
