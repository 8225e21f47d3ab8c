import type { Kysely } from 'kysely';
import type { Role } from '@steward/contracts';
import { iso, pageOfQuery, pageWindow, type Page, type PageRequest } from '../paging';
import { ReadModelError, ReadModelErrorCode } from '../read-model.error';
import type { InvitationRow } from './invitations.table';
import { teamDb, type TeamDB } from './team-db';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** Never the acceptance token nor its hash (the read model does not even store it). */
export interface InvitationView {
  readonly id: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly email: string;
  readonly role: Role;
  readonly message: string | null;
  /** `expired`: still pending at `expires_at` or later (derived when queried). */
  readonly status: InvitationStatus;
  readonly invitedBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly acceptedAt: string | null;
  readonly acceptedBy: string | null;
  readonly revokedAt: string | null;
}

export interface InvitationQuery extends PageRequest {
  readonly status?: InvitationStatus;
  /** The time `expired` is judged against. Default now. */
  readonly now?: Date;
}

function invitationView(row: InvitationRow, now: Date): InvitationView {
  const status: InvitationStatus = row.status === 'pending' && row.expires_at.getTime() <= now.getTime() ? 'expired' : row.status;
  return {
    id: row.id,
    organizationId: row.organization_id,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role,
    message: row.message,
    status,
    invitedBy: row.invited_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    acceptedAt: iso(row.accepted_at),
    acceptedBy: row.accepted_by,
    revokedAt: iso(row.revoked_at),
  };
}

/** The invitations screen of a workspace. Every query takes the workspace first. */
export class InvitationReadRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<TeamDB> {
    return teamDb(this.deps.db);
  }

  /** Newest first. */
  async listInvitations(workspaceId: string, query: InvitationQuery = {}): Promise<Page<InvitationView>> {
    const window = pageWindow(query);
    const now = query.now ?? new Date();
    let base = this.db.selectFrom('invitations').where('workspace_id', '=', workspaceId);
    switch (query.status) {
      case undefined:
        break;
      case 'pending':
        base = base.where('status', '=', 'pending').where('expires_at', '>', now);
        break;
      case 'expired':
        base = base.where('status', '=', 'pending').where('expires_at', '<=', now);
        break;
      case 'accepted':
      case 'revoked':
        base = base.where('status', '=', query.status);
        break;
      default:
        throw new ReadModelError(ReadModelErrorCode.InvalidArgument, 'status must be one of pending, accepted, revoked, expired');
    }
    return pageOfQuery(base, window, (rows) => rows.selectAll().orderBy('created_at', 'desc').orderBy('id'), (row) => invitationView(row, now));
  }

  async getInvitation(workspaceId: string, invitationId: string, now: Date = new Date()): Promise<InvitationView | undefined> {
    const row = await this.db
      .selectFrom('invitations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', invitationId)
      .executeTakeFirst();
    return row ? invitationView(row, now) : undefined;
  }
}
