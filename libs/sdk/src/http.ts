import { fullJitterDelay, isRetryable, retryAfterMs } from './backoff.js';
import { type Problem, StewardErrorCode, StewardRequestError } from './errors.js';

export interface HttpOptions {
  /** The gateway, e.g. `https://steward.example.com` (no trailing `/v1`). */
  readonly baseUrl: string;
  /** An API key of the workspace (`stw_…`). */
  readonly apiKey: string;
  /** Attempts per request on 429, 5xx, timeouts and network errors (never on another 4xx). Default 5. */
  readonly maxAttempts?: number;
  /** The first backoff ceiling; it doubles per retry up to backoffCapMs. Default 200 ms. */
  readonly backoffBaseMs?: number;
  /** Default 10,000 ms. */
  readonly backoffCapMs?: number;
  /** Per attempt. Default 30,000 ms. */
  readonly requestTimeoutMs?: number;
  /** For tests and custom transports. Default the global fetch. */
  readonly fetch?: typeof fetch;
  /** For tests. Default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface HttpAnswer {
  readonly status: number;
  /** The parsed JSON body, or undefined. */
  readonly body: unknown;
}

export interface HttpRequest {
  readonly body?: unknown;
  /** Sent as Idempotency-Key, the same on every attempt. */
  readonly idempotencyKey?: string;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One request with its retries: 429, 5xx, timeouts and network errors are sent again after a
 * full-jitter backoff (never sooner than Retry-After); any other answer is returned, 2xx or not, for
 * the caller to read. Throws StewardRequestError(GaveUp) when the attempts run out.
 */
export async function request(options: HttpOptions, method: string, path: string, input: HttpRequest = {}): Promise<HttpAnswer> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}${path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json, application/problem+json' };
  if (input.body !== undefined) headers['content-type'] = 'application/json';
  if (input.idempotencyKey !== undefined) headers['idempotency-key'] = input.idempotencyKey;
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  const attempts = Math.max(1, options.maxAttempts ?? 5);
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepFor;
  let last: { status: number | undefined; problem: Problem | undefined } = { status: undefined, problem: undefined };
  for (let attempt = 0; attempt < attempts; attempt++) {
    let wait: number | undefined;
    try {
      const response = await doFetch(url, { method, headers, body, signal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000) });
      const parsed = parseJson(await response.text());
      if (!isRetryable(response.status)) return { status: response.status, body: parsed };
      last = { status: response.status, problem: asProblem(parsed) };
      wait = retryAfterMs(response.headers.get('retry-after'));
    } catch (error) {
      last = { status: undefined, problem: { detail: error instanceof Error ? error.message : String(error) } };
    }
    if (attempt + 1 < attempts) {
      await sleep(Math.max(wait ?? 0, fullJitterDelay(attempt, options.backoffBaseMs ?? 200, options.backoffCapMs ?? 10_000)));
    }
  }
  const reason = last.status ?? last.problem?.detail ?? 'no answer';
  throw new StewardRequestError(StewardErrorCode.GaveUp, `${method} ${path} failed ${attempts} times (${reason})`, last.status, last.problem, method, path);
}

/** The error for an answer the caller did not expect (a 4xx): Refused, with the problem Steward sent. */
export function refused(answer: HttpAnswer, method: string, path: string): StewardRequestError {
  const problem = asProblem(answer.body);
  const detail = problem?.detail ?? problem?.title ?? 'no detail';
  return new StewardRequestError(StewardErrorCode.Refused, `Steward refused ${method} ${path} (${answer.status}): ${detail}`, answer.status, problem, method, path);
}

export function asProblem(body: unknown): Problem | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Problem) : undefined;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
