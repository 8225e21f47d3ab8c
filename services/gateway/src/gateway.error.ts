/**
 * The errors the gateway answers with. A domain service's error (or a command
 * reply) carrying one of these codes as `code` is mapped the same way: the
 * mapping to HTTP statuses and problem documents lives in `problem.ts`.
 */
export enum GatewayErrorCode {
  Validation = 'VALIDATION',
  BadRequest = 'BAD_REQUEST',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  Conflict = 'CONFLICT',
  IdempotencyInFlight = 'IDEMPOTENCY_IN_FLIGHT',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  IdempotencyMismatch = 'IDEMPOTENCY_MISMATCH',
  RateLimited = 'RATE_LIMITED',
  Unavailable = 'UNAVAILABLE',
  Internal = 'INTERNAL',
}

/** One bad input: `field` is `body.<dotted path>`, `query.<name>`, `path.<name>` or `header.<Name>`. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface GatewayErrorOptions {
  readonly errors?: readonly FieldError[];
  /** Seconds, for RATE_LIMITED (Retry-After) and IDEMPOTENCY_IN_FLIGHT. */
  readonly retryAfterSeconds?: number;
  /** For METHOD_NOT_ALLOWED: the methods the path accepts. */
  readonly allow?: readonly string[];
  /** Extra response headers (RateLimit-*). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class GatewayError extends Error {
  readonly errors: readonly FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly allow: readonly string[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.allow = options.allow;
    this.headers = options.headers;
  }
}
