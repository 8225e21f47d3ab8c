import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AuthenticationRequest, Authenticator, Principal } from '../route';

/** How long a ticket may wait for its stream to open. */
export const STREAM_TICKET_TTL_SECONDS = 60;

/** The path a ticket opens (a browser's EventSource cannot send an Authorization header). */
const STREAM_PATH = /^\/v1\/organizations\/([^/]+)\/stream\/?$/;

export interface IssuedTicket {
  readonly ticket: string;
  readonly expiresAt: string;
}

/**
 * Short-lived, single-use stream tickets: the caller's Authorization header, kept in Redis for
 * STREAM_TICKET_TTL_SECONDS encrypted with a key that exists only in the ticket (`<id>.<key>`), so Redis alone
 * holds no usable credential. Redeeming authenticates the header again: a revoked token opens nothing.
 */
export class StreamTickets {
  constructor(private readonly deps: { readonly redis: Redis; readonly prefix: string; readonly ttlSeconds?: number }) {}

  private key(id: string): string {
    return `${this.deps.prefix}stream-ticket:${id}`;
  }

  async issue(authorization: string, organizationId: string, now = new Date()): Promise<IssuedTicket> {
    const ttl = this.deps.ttlSeconds ?? STREAM_TICKET_TTL_SECONDS;
    const id = randomBytes(16).toString('base64url');
    const secret = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', secret, iv);
    cipher.setAAD(Buffer.from(organizationId));
    const sealed = Buffer.concat([cipher.update(authorization, 'utf8'), cipher.final()]);
    const stored = Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
    await this.deps.redis.set(this.key(id), stored, 'EX', ttl);
    return { ticket: `${id}.${secret.toString('base64url')}`, expiresAt: new Date(now.getTime() + ttl * 1000).toISOString() };
  }

  /** The Authorization header the ticket was issued for, once; undefined for an unknown, used or expired ticket, or another organization. */
  async redeem(ticket: string, organizationId: string): Promise<string | undefined> {
    const [id, secretText, extra] = ticket.split('.');
    if (!id || !secretText || extra !== undefined || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) return undefined;
    const secret = Buffer.from(secretText, 'base64url');
    if (secret.length !== 32) return undefined;
    const stored = await this.deps.redis.getdel(this.key(id));
    if (stored === null) return undefined;
    const bytes = Buffer.from(stored, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', secret, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(organizationId));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * Authenticates a stream request carrying `?ticket=` instead of an Authorization header (the browser's
 * EventSource), with the header the ticket was issued for; every other request as `inner` does.
 */
export class StreamTicketAuthenticator implements Authenticator {
  constructor(
    private readonly inner: Authenticator,
    private readonly tickets: StreamTickets,
  ) {}

  async authenticate(request: AuthenticationRequest): Promise<Principal | undefined> {
    const ticket = request.query?.ticket;
    const target = STREAM_PATH.exec(request.path);
    if (request.headers.authorization !== undefined || typeof ticket !== 'string' || request.method !== 'GET' || !target) {
      return this.inner.authenticate(request);
    }
    const authorization = await this.tickets.redeem(ticket, decodeURIComponent(target[1] as string));
    if (authorization === undefined) return undefined;
    return this.inner.authenticate({ ...request, headers: { ...request.headers, authorization } });
  }

  invalidate(): void {
    this.inner.invalidate?.();
  }
}
