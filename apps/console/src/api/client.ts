/**
 * The one way the console reaches the gateway: openapi-fetch typed by the generated schema. A middleware puts
 * the session's token on every request and turns a 401 into a sign-out (back to sign-in).
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { ClientPaths } from './named-types';
import { session } from '../session/session';

/** A problem document (RFC 9457) the gateway answered, with its status. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: ReadonlyArray<{ field: string; message: string }> = [],
  ) {
    super(detail ?? title);
    this.name = 'ApiProblem';
  }
}

/** The session's token on every request, a 401 a sign-out: shared by every client of the gateway. */
export const authenticate: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && session.token() !== undefined) session.expire();
    return response;
  },
};

export const api = createClient<ClientPaths>({ baseUrl: window.location.origin });
api.use(authenticate);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiProblem thrown for a problem (TanStack Query shows it as the query's error). */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  if (response.ok) return undefined as T;
  const problem = (error ?? {}) as { title?: string; detail?: string; errors?: Array<{ field: string; message: string }> };
  throw new ApiProblem(response.status, problem.title ?? response.statusText, problem.detail, problem.errors ?? []);
}

/** A key for a write, so a retried click sends the same Idempotency-Key and is applied once. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
