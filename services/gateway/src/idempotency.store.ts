import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError, GatewayErrorCode } from './gateway.error';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * The methods whose requests take an Idempotency-Key: those that create (POST) and those that change
 * several things at once (PATCH), whose handlers derive their command ids from it.
 */
export const IDEMPOTENT_KEY_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);

/** 1 to 255 visible ASCII characters. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

type Entry =
  | { readonly state: 'pending'; readonly fingerprint: string }
  | { readonly state: 'done'; readonly fingerprint: string; readonly response: StoredResponse };

export interface IdempotencyOptions {
  readonly redis: Redis;
  /** Put in front of every key (`steward:`). */
  readonly prefix: string;
  /** How long an answer is kept. Default 24 h. */
  readonly ttlMs?: number;
  /** How long a request may hold its key before another may run. Default 30 s. */
  readonly lockTtlMs?: number;
}

export type Reservation = { readonly kind: 'acquired'; readonly storageKey: string; readonly fingerprint: string } | { readonly kind: 'replay'; readonly response: StoredResponse };

/** JSON with object keys sorted at every depth: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export function bodyFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Validates the header; undefined when absent. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || !KEY_PATTERN.test(header)) {
    throw new GatewayError(GatewayErrorCode.Validation, 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
      errors: [{ field: 'header.Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
    });
  }
  return header;
}

/** What a key is bound to: the request it was first used with (see requestFingerprint). */
export interface RequestIdentity {
  readonly method: string;
  /** The route's template (`/v1/workspaces/{wsId}/api-keys`), not the concrete path. */
  readonly route: string;
  readonly params: unknown;
  readonly query: unknown;
  /** The tenant a header or query named (`X-Steward-Workspace`), which a path does not show. */
  readonly tenant: unknown;
  /** The body's media type where several are taken (CloudEvents: one event or a batch). */
  readonly mediaType: string | undefined;
  /** What the route's headers add to a raw body (a binary-mode CloudEvent's `ce-*` attributes); '' for nothing. */
  readonly headers: string;
  /** bodyFingerprint of the body, or the sha256 of its bytes (raw batch bodies). */
  readonly body: string;
}

/** One hash of everything that makes a request what it is: a key reused with any other request differs. */
export function requestFingerprint(identity: RequestIdentity): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/**
 * `Idempotency-Key` answers in Redis, per caller and key: the first request
 * with a key takes a short lock (SET NX), runs, then stores its answer for
 * 24 h with the fingerprint of the request (method, route, path parameters,
 * query, named tenant, body). A retry of the same request gets that answer
 * again; the same key with any other request — another workspace, route or
 * body — is a 422 that tells nothing of the first; while the first is still
 * running, a 409. Callers without credentials cannot be told apart, so their
 * keys are kept per request (`caller` includes the fingerprint): another
 * person's request never meets theirs.
 */
export class IdempotencyStore {
  private readonly ttlMs: number;
  private readonly lockTtlMs: number;

  constructor(private readonly options: IdempotencyOptions) {
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.lockTtlMs = options.lockTtlMs ?? 30_000;
  }

  storageKey(caller: string, key: string): string {
    const digest = createHash('sha256').update(JSON.stringify([caller, key])).digest('hex');
    return `${this.options.prefix}idem:${digest}`;
  }

  async reserve(scope: { readonly caller: string; readonly key: string }, fingerprint: string): Promise<Reservation> {
    const storageKey = this.storageKey(scope.caller, scope.key);
    const pending: Entry = { state: 'pending', fingerprint };
    const taken = await this.options.redis.set(storageKey, JSON.stringify(pending), 'PX', this.lockTtlMs, 'NX');
    if (taken === 'OK') return { kind: 'acquired', storageKey, fingerprint };
    const stored = await this.options.redis.get(storageKey);
    if (stored === null) {
      // expired between the two calls: the caller may retry at once
      throw new GatewayError(GatewayErrorCode.IdempotencyInFlight, 'a request with this Idempotency-Key is in progress', { retryAfterSeconds: 1 });
    }
    const entry = JSON.parse(stored) as Entry;
    if (entry.fingerprint !== fingerprint) {
      throw new GatewayError(GatewayErrorCode.IdempotencyMismatch, 'this Idempotency-Key was used with another request: use a new key for a new request');
    }
    if (entry.state === 'pending') {
      throw new GatewayError(GatewayErrorCode.IdempotencyInFlight, 'a request with this Idempotency-Key is in progress', { retryAfterSeconds: 1 });
    }
    return { kind: 'replay', response: entry.response };
  }

  async complete(reservation: { storageKey: string; fingerprint: string }, response: StoredResponse): Promise<void> {
    const entry: Entry = { state: 'done', fingerprint: reservation.fingerprint, response };
    await this.options.redis.set(reservation.storageKey, JSON.stringify(entry), 'PX', this.ttlMs);
  }

  /** Frees the key after a failure worth retrying (5xx), so the retry runs again. */
  async release(reservation: { storageKey: string }): Promise<void> {
    await this.options.redis.del(reservation.storageKey);
  }
}
