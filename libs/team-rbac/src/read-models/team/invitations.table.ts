import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { Role } from '@steward/contracts';

/**
 * Invitations as stored. `status` is what happened (pending, accepted,
 * revoked); `expired` is derived at query time from `expires_at`. The
 * acceptance token's hash is deliberately NOT stored: only team-rbac checks it.
 */
export type StoredInvitationStatus = 'pending' | 'accepted' | 'revoked';

export interface InvitationsTable {
  id: string;
  organization_id: string;
  workspace_id: string;
  email: string;
  role: Role;
  message: string | null;
  status: StoredInvitationStatus;
  invited_by: string;
  created_at: ColumnType<Date, Date | string, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  accepted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  accepted_by: string | null;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type InvitationRow = Selectable<InvitationsTable>;
export type NewInvitationRow = Insertable<InvitationsTable>;
export type InvitationRowUpdate = Updateable<InvitationsTable>;
