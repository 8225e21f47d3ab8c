import { STATUS_CODES } from 'node:http';
import { GatewayError, GatewayErrorCode, type FieldError } from './gateway.error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem document; `errors` names every bad field of a 400. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly errors?: readonly FieldError[];
  /** Extension members (a domain error's `extensions`). */
  readonly [extension: string]: unknown;
}

export interface ProblemResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Problem;
}

interface CodeMapping {
  readonly status: number;
  readonly title: string;
}

/**
 * The one table from error codes to HTTP: gateway errors and domain errors
 * (any error whose `code` is one of these) answer alike.
 */
const BY_CODE: Readonly<Record<string, CodeMapping>> = {
  [GatewayErrorCode.Validation]: { status: 400, title: 'Invalid Request' },
  [GatewayErrorCode.BadRequest]: { status: 400, title: 'Bad Request' },
  [GatewayErrorCode.Unauthenticated]: { status: 401, title: 'Authentication Required' },
  [GatewayErrorCode.Forbidden]: { status: 403, title: 'Access Restricted' },
  [GatewayErrorCode.NotFound]: { status: 404, title: 'Not Found' },
  [GatewayErrorCode.MethodNotAllowed]: { status: 405, title: 'Method Not Allowed' },
  [GatewayErrorCode.Conflict]: { status: 409, title: 'Conflict' },
  [GatewayErrorCode.IdempotencyInFlight]: { status: 409, title: 'Request In Progress' },
  [GatewayErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload Too Large' },
  [GatewayErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported Media Type' },
  [GatewayErrorCode.IdempotencyMismatch]: { status: 422, title: 'Idempotency Key Reused' },
  [GatewayErrorCode.RateLimited]: { status: 429, title: 'Too Many Requests' },
  [GatewayErrorCode.Unavailable]: { status: 503, title: 'Service Unavailable' },
  [GatewayErrorCode.Internal]: { status: 500, title: 'Internal Server Error' },
};

export function problemType(code: string): string {
  return `urn:steward:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

function problem(code: string, mapping: CodeMapping, detail: string, instance: string, errors?: readonly FieldError[]): Problem {
  return {
    type: problemType(code),
    title: mapping.title,
    status: mapping.status,
    detail,
    instance,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** A 4xx status carried by a framework error (express's URIError, Nest's HttpException). */
function clientStatusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const candidate = error as { getStatus?: () => unknown; status?: unknown; statusCode?: unknown };
  const status = typeof candidate.getStatus === 'function' ? candidate.getStatus() : (candidate.status ?? candidate.statusCode);
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** Titles of statuses that have their own wording; the rest use the HTTP reason phrase. */
const TITLE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'Invalid Request',
  401: 'Authentication Required',
  403: 'Access Restricted',
};

function mappingFor(status: number): CodeMapping {
  return { status, title: TITLE_BY_STATUS[status] ?? STATUS_CODES[status] ?? 'Error' };
}

/**
 * The field a 400 from a domain (a service's refusal) is about: the payload field it named, under `body`,
 * else the body as a whole: every 400 names a field.
 */
function namedField(status: number, error: unknown, message: string): FieldError[] | undefined {
  if (status !== 400) return undefined;
  const field = (error as { field?: unknown }).field;
  return [{ field: typeof field === 'string' && field.length > 0 ? `body.${field}` : 'body', message }];
}

/**
 * Extension members a domain error adds to its problem (RFC 9457 §3.2: a budget refusal names the budget
 * and its headroom); they never replace a standard member.
 */
function extensionsOf(error: unknown): Record<string, unknown> {
  const extensions = (error as { extensions?: unknown }).extensions;
  return extensions !== null && typeof extensions === 'object' && !Array.isArray(extensions) ? (extensions as Record<string, unknown>) : {};
}

/** Maps a thrown error to the response to send. */
export type ProblemMapper = (error: unknown, instance: string) => ProblemResponse;

/**
 * The mapper over the gateway's codes plus a domain's own (`{ LAST_OWNER: 409,
 * INVITATION_EXPIRED: 410 }`, e.g. TEAM_ERROR_HTTP_STATUS): any error whose
 * `code` is in either table answers with that status. A domain code may not
 * redefine a gateway code. Unknown errors are a 500 whose detail says nothing
 * about the cause.
 */
export function createProblemMapper(domainStatuses: Readonly<Record<string, number>> = {}): ProblemMapper {
  const table: Record<string, CodeMapping> = {};
  for (const [code, status] of Object.entries(domainStatuses)) table[code] = mappingFor(status);
  Object.assign(table, BY_CODE);

  return (error, instance) => {
    const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
    const mapping = typeof code === 'string' ? table[code] : undefined;
    if (typeof code === 'string' && mapping) {
      const gatewayError = error instanceof GatewayError ? error : undefined;
      const headers: Record<string, string> = { ...gatewayError?.headers };
      if (mapping.status === 401) headers['www-authenticate'] = 'Bearer realm="steward"';
      if (gatewayError?.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(gatewayError.retryAfterSeconds)));
      else if (mapping.status === 429 || mapping.status === 503) headers['retry-after'] = '1';
      if (gatewayError?.allow) headers.allow = gatewayError.allow.join(', ');
      // a 503 the gateway raised tells the client what to do (resend, with which key); any other 5xx keeps its cause
      const told = mapping.status === 503 && gatewayError !== undefined;
      const detail = (mapping.status >= 500 && !told) || !(error instanceof Error) ? mapping.title : error.message;
      const body = problem(code, mapping, detail, instance, gatewayError?.errors ?? namedField(mapping.status, error, detail));
      return { status: mapping.status, headers, body: { ...extensionsOf(error), ...body } };
    }
    if (error instanceof URIError || (error instanceof Error && error.cause instanceof URIError)) {
      // express could not percent-decode a path segment (Nest hands it over as a BadRequestException caused by it)
      const validation = BY_CODE[GatewayErrorCode.Validation] as CodeMapping;
      const errors = [{ field: 'path', message: 'not valid percent-encoded UTF-8' }];
      return { status: 400, headers: {}, body: problem(GatewayErrorCode.Validation, validation, 'the path is not valid percent-encoded UTF-8', instance, errors) };
    }
    const status = clientStatusOf(error);
    if (status !== undefined) {
      const title = STATUS_CODES[status] ?? 'Bad Request';
      return { status, headers: {}, body: { type: 'about:blank', title, status, detail: title, instance } };
    }
    const internal = BY_CODE[GatewayErrorCode.Internal] as CodeMapping;
    return { status: 500, headers: {}, body: problem(GatewayErrorCode.Internal, internal, internal.title, instance) };
  };
}

/** The mapper over the gateway's own codes only. */
export const toProblemResponse: ProblemMapper = createProblemMapper();
