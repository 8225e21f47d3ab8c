import { sql, type Kysely } from 'kysely';
import type { TeamEventOf, TeamEventType } from '@steward/contracts';
import { TEAM_STREAM_PREFIX } from '@steward/contracts';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection, projectionSchema } from '@steward/projections';
import type { ActivityAction, ActivityDB, NewActivityEntryRow } from './activity-entries.table';

export const ACTIVITY_PROJECTION = 'activity';
/** `rm_activity`: entries projected from team events. */
export const ACTIVITY_SCHEMA = projectionSchema(ACTIVITY_PROJECTION);
/** Gateway reads: outside the projection's schema, so a rebuild (which replaces `rm_activity`) keeps them. */
export const ACTIVITY_READS_SCHEMA = 'activity_reads';

/** `organization`, `workspace`, `member`, `invitation`, `api_key`, `user_profile` (events); reads may name others. */
export const TEAM_RESOURCE_TYPES = ['organization', 'workspace', 'member', 'invitation', 'api_key', 'user_profile'] as const;

type Described = { resourceType: (typeof TEAM_RESOURCE_TYPES)[number]; action: ActivityAction; resourceId: string; summary: string };

/**
 * What each team event means in the log. `OrganizationOwnerAdded/Removed` are
 * left out: they accompany a member event (join, role change, removal) that
 * already says it.
 */
const describers: { readonly [T in TeamEventType]?: (d: TeamEventOf<T>['data']) => Described } = {
  OrganizationCreated: (d) => ({ resourceType: 'organization', action: 'create', resourceId: d.organizationId, summary: `Organization "${d.name}" created` }),
  WorkspaceCreated: (d) => ({ resourceType: 'workspace', action: 'create', resourceId: d.workspaceId, summary: `Workspace "${d.name}" created` }),
  WorkspaceRenamed: (d) => ({ resourceType: 'workspace', action: 'update', resourceId: d.workspaceId, summary: `Workspace renamed from "${d.previousName}" to "${d.name}"` }),
  WorkspaceStatusChanged: (d) => {
    const reason = d.reason ? `: ${d.reason}` : '';
    return { resourceType: 'workspace', action: 'update', resourceId: d.workspaceId, summary: `Workspace status changed from ${d.from} to ${d.to}${reason}` };
  },
  MemberJoined: (d) => ({ resourceType: 'member', action: 'create', resourceId: d.userId, summary: `${d.email} joined as ${d.role}` }),
  MemberRoleChanged: (d) => ({ resourceType: 'member', action: 'update', resourceId: d.userId, summary: `Member ${d.userId} role changed from ${d.from} to ${d.to}` }),
  MemberRemoved: (d) => ({ resourceType: 'member', action: 'delete', resourceId: d.userId, summary: `Member ${d.userId} (${d.role}) removed` }),
  MemberInvited: (d) => ({ resourceType: 'invitation', action: 'create', resourceId: d.invitationId, summary: `${d.email} invited as ${d.role}` }),
  InvitationAccepted: (d) => ({ resourceType: 'invitation', action: 'update', resourceId: d.invitationId, summary: `Invitation accepted by ${d.email}` }),
  InvitationRevoked: (d) => ({ resourceType: 'invitation', action: 'delete', resourceId: d.invitationId, summary: 'Invitation revoked' }),
  ApiKeyIssued: (d) => ({ resourceType: 'api_key', action: 'create', resourceId: d.apiKeyId, summary: `API key "${d.name}" (${d.prefix}) issued` }),
  ApiKeyRevoked: (d) => ({ resourceType: 'api_key', action: 'delete', resourceId: d.apiKeyId, summary: 'API key revoked' }),
  UserProfileUpdated: (d) => ({ resourceType: 'user_profile', action: 'update', resourceId: d.userId, summary: 'Profile updated' }),
};

/** The log entry for a team event; undefined for events the log leaves out, or with no organization to file it under. */
export function activityEntryFor(event: RecordedEvent): NewActivityEntryRow | undefined {
  const describe = describers[event.type as TeamEventType] as ((data: unknown) => Described) | undefined;
  if (!describe) return undefined;
  const scope = event.data as { organizationId?: string; workspaceId?: string };
  const organizationId = scope.organizationId ?? event.metadata.organizationId;
  if (!organizationId) return undefined;
  const described = describe(event.data);
  return {
    id: event.eventId,
    organization_id: organizationId,
    workspace_id: scope.workspaceId ?? event.metadata.workspaceId ?? null,
    resource_type: described.resourceType,
    action: described.action,
    resource_id: described.resourceId,
    actor_type: event.metadata.actor.type,
    actor_id: event.metadata.actor.id,
    occurred_at: event.metadata.occurredAt ?? event.recordedAt,
    outcome: 'success',
    summary: described.summary,
    source: 'event',
    event_type: event.type,
  };
}

/** Creates `activity_entries` with its index in `schema` (the projection's or the reads'), if missing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createActivityTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('activity_entries')
    .ifNotExists()
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('workspace_id', 'text')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text')
    .execute();
  await db.schema
    .createIndex('activity_entries_timeline')
    .ifNotExists()
    .on('activity_entries')
    .columns(['organization_id', 'occurred_at desc', 'id desc'])
    .execute();
}

/**
 * Creates `activity_reads.activity_entries` if missing. Serialised by an
 * advisory lock: the projection's migrate and the read consumer may both run it
 * at once, and concurrent `CREATE ... IF NOT EXISTS` can still collide.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateActivityReads(db: Kysely<any>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const migrate = async (trx: Kysely<any>): Promise<void> => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${ACTIVITY_READS_SCHEMA}))`.execute(trx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(ACTIVITY_READS_SCHEMA)}`.execute(trx);
    await createActivityTable(trx.withSchema(ACTIVITY_READS_SCHEMA));
  };
  // Inside the projection's migrate the caller's transaction holds the lock until it commits.
  if (db.isTransaction) await migrate(db);
  else await db.transaction().execute(migrate);
}

/** The activity log projected from team events (`rm_activity`). Reads through ActivityRepository. */
export const activityProjection = defineProjection<ActivityDB>({
  name: ACTIVITY_PROJECTION,
  version: 1,
  streamPrefixes: [TEAM_STREAM_PREFIX],
  eventTypes: Object.keys(describers),
  async migrate(db) {
    await createActivityTable(db);
    // The reads' table too, so the repository's union always finds both.
    await migrateActivityReads(db);
  },
  async handle(trx, events) {
    const rows = events.map(activityEntryFor).filter((row): row is NewActivityEntryRow => row !== undefined);
    if (rows.length === 0) return;
    await trx
      .insertInto('activity_entries')
      .values(rows)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
  },
});
