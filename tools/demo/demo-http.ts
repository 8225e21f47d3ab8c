/**
 * The demo loader's HTTP client of Steward's public API: JSON in and out, a bearer token, an
 * Idempotency-Key on every POST (deterministic when the caller names one), retries of 429 / 503 /
 * network errors with their Retry-After, and polling until a read model shows a write.
 */
import { randomUUID } from 'node:crypto';

export class DemoApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${body.slice(0, 500)}`);
    this.name = 'DemoApiError';
  }
}

export interface DemoAnswer<T> {
  readonly status: number;
  readonly body: T;
}

export interface DemoRequest {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as Idempotency-Key on writes; default a new one per call (retries of that call reuse it). */
  readonly idempotencyKey?: string;
  /** Statuses answered rather than thrown (the caller decides). */
  readonly accept?: readonly number[];
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export class DemoApi {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  /** The same API as another person (or an API key). */
  as(token: string): DemoApi {
    return new DemoApi(this.baseUrl, token);
  }

  async call<T = unknown>(method: string, path: string, request: DemoRequest = {}): Promise<DemoAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = request.token ?? this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    // a key is visible ASCII: names in it are slugged
    if (method === 'POST') headers['idempotency-key'] = (request.idempotencyKey ?? randomUUID()).replace(/[^A-Za-z0-9:._-]+/g, '-').slice(0, 255);
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        failure = error;
      }
      if (response && !RETRYABLE.has(response.status)) {
        const text = await response.text();
        if (response.ok || request.accept?.includes(response.status)) {
          return { status: response.status, body: (text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined) as T };
        }
        throw new DemoApiError(method, path, response.status, text);
      }
      if (attempt >= 8) {
        if (response) throw new DemoApiError(method, path, response.status, await response.text());
        throw failure instanceof Error ? failure : new Error(String(failure));
      }
      const retryAfter = Number(response?.headers.get('retry-after'));
      await response?.body?.cancel();
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 10_000) : 250 * 2 ** Math.min(attempt, 5));
    }
  }

  async get<T = unknown>(path: string, token?: string): Promise<T> {
    return (await this.call<T>('GET', path, token !== undefined ? { token } : {})).body;
  }

  async post<T = unknown>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    return (await this.call<T>('POST', path, { body, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) })).body;
  }

  /** Every item of a paged list (`page`, `pageSize`, `pageCount`). */
  async all<T>(path: string, pageSize = 100): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await this.get<{ items: T[]; pageCount?: number }>(`${path}${separator}page=${page}&pageSize=${pageSize}`);
      items.push(...answer.items);
      if (answer.pageCount === undefined || page >= answer.pageCount) return items;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it answers a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
