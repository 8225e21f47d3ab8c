import { sql, type Transaction } from 'kysely';
import type { TeamMembershipEvent } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema, withEventData } from '@steward/projections';
import type { TeamDB } from './team-db';

export const TEAM_PROJECTION = 'team';
/** `rm_team`: query it with `db.withSchema(TEAM_SCHEMA)` (`teamDb` does). */
export const TEAM_SCHEMA = projectionSchema(TEAM_PROJECTION);

/** When the event happened: the command's time (metadata), falling back to when it was stored. */
export function occurredAt(event: RecordedEvent): Date {
  const at = event.metadata.occurredAt;
  return at ? new Date(at) : event.recordedAt;
}

async function rememberEmail(trx: Transaction<TeamDB>, userId: string, email: string): Promise<void> {
  await trx
    .insertInto('user_profiles')
    .values({ user_id: userId, email, name: null, organization_name: null, time_zone: null, custom_instructions: null })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ email }))
    .execute();
}

async function addOwnerSeat(trx: Transaction<TeamDB>, seat: { organizationId: string; workspaceId: string; userId: string }): Promise<void> {
  await trx
    .insertInto('organization_owners')
    .values({ organization_id: seat.organizationId, workspace_id: seat.workspaceId, user_id: seat.userId })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
}

const handlers = withEventData<TeamDB, TeamMembershipEvent>({
  async OrganizationCreated(trx, data) {
    await trx
      .insertInto('organizations')
      .values({
        id: data.organizationId,
        name: data.name,
        owner_user_id: data.ownerUserId,
        owner_email: data.ownerEmail,
        first_workspace_id: data.firstWorkspaceId,
        created_at: data.createdAt,
      })
      .execute();
    // The creator's owner seat comes with the organization (no OrganizationOwnerAdded for it).
    await addOwnerSeat(trx, { organizationId: data.organizationId, workspaceId: data.firstWorkspaceId, userId: data.ownerUserId });
    await rememberEmail(trx, data.ownerUserId, data.ownerEmail);
  },
  async OrganizationOwnerAdded(trx, data) {
    await addOwnerSeat(trx, data);
  },
  async OrganizationOwnerRemoved(trx, data) {
    await trx
      .deleteFrom('organization_owners')
      .where('organization_id', '=', data.organizationId)
      .where('workspace_id', '=', data.workspaceId)
      .where('user_id', '=', data.userId)
      .execute();
  },
  async WorkspaceCreated(trx, data) {
    await trx
      .insertInto('workspaces')
      .values({
        id: data.workspaceId,
        organization_id: data.organizationId,
        name: data.name,
        status: data.status,
        created_by: data.createdBy,
        created_at: data.createdAt,
        updated_at: data.createdAt,
      })
      .execute();
  },
  async WorkspaceRenamed(trx, data, event) {
    await trx.updateTable('workspaces').set({ name: data.name, updated_at: occurredAt(event) }).where('id', '=', data.workspaceId).execute();
  },
  async WorkspaceStatusChanged(trx, data, event) {
    await trx.updateTable('workspaces').set({ status: data.to, updated_at: occurredAt(event) }).where('id', '=', data.workspaceId).execute();
  },
  async MemberJoined(trx, data) {
    await trx
      .insertInto('members')
      .values({
        workspace_id: data.workspaceId,
        user_id: data.userId,
        organization_id: data.organizationId,
        email: data.email,
        role: data.role,
        joined_at: data.joinedAt,
      })
      .onConflict((conflict) =>
        conflict.columns(['workspace_id', 'user_id']).doUpdateSet({ email: data.email, role: data.role, joined_at: data.joinedAt }),
      )
      .execute();
    await rememberEmail(trx, data.userId, data.email);
  },
  async MemberRoleChanged(trx, data) {
    await trx
      .updateTable('members')
      .set({ role: data.to })
      .where('workspace_id', '=', data.workspaceId)
      .where('user_id', '=', data.userId)
      .execute();
  },
  async MemberRemoved(trx, data) {
    await trx.deleteFrom('members').where('workspace_id', '=', data.workspaceId).where('user_id', '=', data.userId).execute();
  },
  async MemberInvited(trx, data) {
    // tokenHash is dropped here on purpose: the read side never needs it.
    await trx
      .insertInto('invitations')
      .values({
        id: data.invitationId,
        organization_id: data.organizationId,
        workspace_id: data.workspaceId,
        email: data.email,
        role: data.role,
        message: data.message ?? null,
        status: 'pending',
        invited_by: data.invitedBy,
        created_at: data.invitedAt,
        expires_at: data.expiresAt,
      })
      .execute();
  },
  async InvitationAccepted(trx, data) {
    await trx
      .updateTable('invitations')
      .set({ status: 'accepted', accepted_at: data.acceptedAt, accepted_by: data.userId })
      .where('id', '=', data.invitationId)
      .execute();
  },
  async InvitationRevoked(trx, data) {
    await trx.updateTable('invitations').set({ status: 'revoked', revoked_at: data.revokedAt }).where('id', '=', data.invitationId).execute();
  },
  async ApiKeyIssued(trx, data) {
    await trx
      .insertInto('api_keys')
      .values({
        id: data.apiKeyId,
        organization_id: data.organizationId,
        workspace_id: data.workspaceId,
        name: data.name,
        scopes: data.scopes,
        prefix: data.prefix,
        issued_by: data.issuedBy,
        created_at: data.issuedAt,
        expires_at: data.expiresAt ?? null,
      })
      .execute();
    await trx.insertInto('api_key_secrets').values({ api_key_id: data.apiKeyId, prefix: data.prefix, key_hash: data.keyHash }).execute();
  },
  async ApiKeyRevoked(trx, data) {
    await trx.updateTable('api_keys').set({ revoked_at: data.revokedAt }).where('id', '=', data.apiKeyId).execute();
  },
  async UserProfileUpdated(trx, data) {
    const profile = {
      name: data.name,
      organization_name: data.organizationName,
      time_zone: data.timeZone,
      custom_instructions: data.customInstructions,
      updated_at: data.updatedAt,
    };
    await trx
      .insertInto('user_profiles')
      .values({ user_id: data.userId, email: null, ...profile })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet(profile))
      .execute();
  },
});

/**
 * The team read model: organizations, owner seats, workspaces, members,
 * invitations (no token hash), API keys (hash apart in `api_key_secrets`) and
 * user profiles, in `rm_team`. Query it through the
 * per-feature read repositories beside this file and the lookups of `../../access`.
 */
export const teamProjection = defineProjection<TeamDB>({
  name: TEAM_PROJECTION,
  version: 1,
  async migrate(db) {
    const ts = 'timestamptz';
    await db.schema
      .createTable('organizations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('owner_user_id', 'text', (c) => c.notNull())
      .addColumn('owner_email', 'text', (c) => c.notNull())
      .addColumn('first_workspace_id', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('organization_owners')
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('organization_owners_pk', ['organization_id', 'workspace_id', 'user_id'])
      .execute();
    await db.schema.createIndex('organization_owners_user').on('organization_owners').column('user_id').execute();
    await db.schema
      .createTable('workspaces')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('workspaces_organization').on('workspaces').columns(['organization_id', 'created_at', 'id']).execute();
    await db.schema
      .createTable('members')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('joined_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('members_pk', ['workspace_id', 'user_id'])
      .execute();
    await db.schema.createIndex('members_user').on('members').column('user_id').execute();
    await db.schema.createIndex('members_organization').on('members').columns(['organization_id', 'user_id']).execute();
    await db.schema
      .createTable('invitations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('invited_by', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('accepted_at', ts)
      .addColumn('accepted_by', 'text')
      .addColumn('revoked_at', ts)
      .execute();
    await db.schema.createIndex('invitations_workspace').on('invitations').columns(['workspace_id', 'created_at']).execute();
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', sql`text[]`, (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('issued_by', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts)
      .addColumn('revoked_at', ts)
      .addColumn('last_used_at', ts)
      .execute();
    await db.schema.createIndex('api_keys_workspace').on('api_keys').columns(['workspace_id', 'created_at']).execute();
    await db.schema
      .createTable('api_key_secrets')
      .addColumn('api_key_id', 'text', (c) => c.primaryKey())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_key_secrets_prefix').on('api_key_secrets').column('prefix').execute();
    await db.schema
      .createTable('user_profiles')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('organization_name', 'text')
      .addColumn('time_zone', 'text')
      .addColumn('custom_instructions', 'text')
      .addColumn('updated_at', ts)
      .execute();
  },
  handlers,
});
