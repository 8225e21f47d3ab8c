import { createHash, randomBytes } from 'node:crypto';

/**
 * An invitation's acceptance token: `<invitationId>.<43 base64url characters>`
 * (256 random bits). The id tells the accept route which invitation; only the
 * SHA-256 of the whole token travels in InviteMember, and team-rbac compares
 * it on AcceptInvitation. Shown once, in the invitation's 201.
 */
export interface InvitationToken {
  readonly token: string;
  readonly hash: string;
}

const TOKEN = /^([A-Za-z0-9_-]{1,100})\.([A-Za-z0-9_-]{43})$/;

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateInvitationToken(invitationId: string): InvitationToken {
  const token = `${invitationId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashInvitationToken(token) };
}

/** The invitation id a well-formed token names; undefined for anything else. */
export function parseInvitationToken(token: string): { readonly invitationId: string } | undefined {
  const match = TOKEN.exec(token);
  return match ? { invitationId: match[1] as string } : undefined;
}
