import type { Actor } from '@steward/contracts';
import type { Principal } from '../route';

/** The principal as the team context sees it: who acts, and what is known about them. */
export interface Caller {
  readonly actor: Actor;
  /** Set for people. */
  readonly userId: string | undefined;
  /** The person's email when the authenticator knows it (user tokens carry it). */
  readonly email: string | undefined;
  /** The principal's organization, when it has one. */
  readonly organizationId: string | undefined;
}

function stringField(principal: Principal, name: string): string | undefined {
  const value = (principal as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Reads `@steward/auth` principals (a user: `userId`, `organizationId`,
 * optional `email`; an API key: `keyId`, `organizationId`), falling back to the
 * gateway's `id` for principals that carry nothing more.
 */
export function callerOf(principal: Principal): Caller {
  const organizationId = stringField(principal, 'organizationId');
  if (principal.kind === 'user') {
    const userId = stringField(principal, 'userId') ?? principal.id;
    return { actor: { type: 'user', id: userId }, userId, email: stringField(principal, 'email'), organizationId };
  }
  const keyId = principal.kind === 'api_key' ? (stringField(principal, 'keyId') ?? principal.id) : principal.id;
  const type = principal.kind === 'api_key' ? 'api_key' : 'service';
  return { actor: { type, id: keyId }, userId: undefined, email: undefined, organizationId };
}
