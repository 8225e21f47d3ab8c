import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError, GatewayErrorCode } from './gateway.error';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * The methods whose requests take an Idempotency-Key: those that create (POST) and those that change
 * several things at once (PATCH), whose handlers derive their command ids from it.
 */
export const IDEMPOTENT_KEY_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);

/** Whether a route takes Idempotency-Key: POST and PATCH, save those that declare `idempotencyKey: 'ignored'`. */
export function takesIdempotencyKey(route: { readonly method: string; readonly idempotencyKey?: 'ignored' }): boolean {
  return IDEMPOTENT_KEY_METHODS.has(route.method) && route.idempotencyKey !== 'ignored';
}

/** 1 to 255 visible ASCII characters. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

type Entry =
  | { readonly state: 'pending'; readonly fingerprint: string }
  | { readonly state: 'done'; readonly fingerprint: string; readonly sealed: string };

/**
 * The key an answer is sealed with: derived from the caller and the client's Idempotency-Key, which Redis
 * never holds (its key name is another hash of them). An answer may carry a secret shown once (an API key,
 * a webhook signing secret): at rest it is AES-256-GCM ciphertext only a retry with the same key opens.
 */
function sealingKey(caller: string, key: string): Buffer {
  return createHash('sha256').update(JSON.stringify(['steward-idempotency-seal', caller, key])).digest();
}

function seal(response: StoredResponse, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

function unseal(sealed: string, key: Buffer): StoredResponse {
  const bytes = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')) as StoredResponse;
}

export interface IdempotencyOptions {
  readonly redis: Redis;
  /** Put in front of every key (`steward:`). */
  readonly prefix: string;
  /** How long an answer is kept. Default 24 h. */
  readonly ttlMs?: number;
  /**
   * The lease of a running request on its key: renewed every third of it while the request runs, so a
   * request may take as long as it needs, and a gateway replica killed mid-request frees the key within
   * one lease (its client's retry at another replica runs then, instead of a 409 for the old 30 s).
   * Default 5 s.
   */
  readonly lockTtlMs?: number;
}

export type Reservation =
  | { readonly kind: 'acquired'; readonly storageKey: string; readonly fingerprint: string; readonly sealingKey: Buffer; readonly lease?: Lease }
  | { readonly kind: 'replay'; readonly response: StoredResponse };

/** A running request's hold on its key: the pending entry it wrote and the timer renewing it. */
export interface Lease {
  readonly entry: string;
  readonly timer: NodeJS.Timeout;
}

/** DEL only our own pending entry: once our lease lapsed, the key may be another request's. */
const DROP_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** PEXPIRE only while the key still holds our pending entry (not the answer stored since, nor another request's lease). */
const RENEW_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

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
 * with a key takes a lease on it (SET NX, renewed while it runs), runs, then stores its answer for
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
    this.lockTtlMs = options.lockTtlMs ?? 5_000;
  }

  storageKey(caller: string, key: string): string {
    const digest = createHash('sha256').update(JSON.stringify([caller, key])).digest('hex');
    return `${this.options.prefix}idem:${digest}`;
  }

  async reserve(scope: { readonly caller: string; readonly key: string }, fingerprint: string): Promise<Reservation> {
    const storageKey = this.storageKey(scope.caller, scope.key);
    // the random part tells this request's lease from that of a retry that took the key after it lapsed
    const pending = JSON.stringify({ state: 'pending', fingerprint, lease: randomUUID() } satisfies Entry & { lease: string });
    const taken = await this.options.redis.set(storageKey, pending, 'PX', this.lockTtlMs, 'NX');
    if (taken === 'OK') {
      const timer = setInterval(() => {
        // a failed renewal (Redis unreachable a moment) at worst lets a retry run beside this request: its ids are derived from the key, so it changes nothing twice
        this.options.redis.eval(RENEW_LEASE, 1, storageKey, pending, String(this.lockTtlMs)).catch(() => undefined);
      }, Math.max(100, Math.floor(this.lockTtlMs / 3)));
      timer.unref();
      return { kind: 'acquired', storageKey, fingerprint, sealingKey: sealingKey(scope.caller, scope.key), lease: { entry: pending, timer } };
    }
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
    return { kind: 'replay', response: unseal(entry.sealed, sealingKey(scope.caller, scope.key)) };
  }

  /** Stops renewing the lease (complete and release do it too); the entry lapses on its own. */
  stopRenewing(reservation: { lease?: Lease }): void {
    clearInterval(reservation.lease?.timer);
  }

  async complete(reservation: { storageKey: string; fingerprint: string; sealingKey: Buffer; lease?: Lease }, response: StoredResponse): Promise<void> {
    clearInterval(reservation.lease?.timer);
    const entry: Entry = { state: 'done', fingerprint: reservation.fingerprint, sealed: seal(response, reservation.sealingKey) };
    await this.options.redis.set(reservation.storageKey, JSON.stringify(entry), 'PX', this.ttlMs);
  }

  /** Frees the key after a failure worth retrying (5xx), so the retry runs again. */
  async release(reservation: { storageKey: string; lease?: Lease }): Promise<void> {
    clearInterval(reservation.lease?.timer);
    if (reservation.lease) await this.options.redis.eval(DROP_LEASE, 1, reservation.storageKey, reservation.lease.entry);
    else await this.options.redis.del(reservation.storageKey);
  }
}
