import { sql } from 'kysely';
import type { TeamEventOf, AnnouncementEventType } from '@steward/contracts';
import { defineProjection, projectionSchema, withEventData } from '@steward/projections';
import type { AnnouncementsDB } from './announcements.table';

export const ANNOUNCEMENTS_PROJECTION = 'announcements';
/** `rm_announcements`. */
export const ANNOUNCEMENTS_SCHEMA = projectionSchema(ANNOUNCEMENTS_PROJECTION);

type Content = TeamEventOf<'AnnouncementDrafted'>['data'];

function contentColumns(data: Pick<Content, 'kind' | 'title' | 'body' | 'audience' | 'window'>) {
  return {
    kind: data.kind,
    title: data.title,
    body: data.body,
    audience_all: data.audience.type === 'all',
    organization_ids: data.audience.type === 'all' ? [] : data.audience.organizationIds,
    starts_at: data.window?.startsAt ?? null,
    ends_at: data.window?.endsAt ?? null,
  };
}

const handlers = withEventData<AnnouncementsDB, TeamEventOf<AnnouncementEventType>>({
  async AnnouncementDrafted(trx, data) {
    await trx
      .insertInto('announcements')
      .values({ id: data.announcementId, ...contentColumns(data), status: 'draft', authored_by: data.authoredBy, created_at: data.draftedAt, updated_at: data.draftedAt, published_at: null })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
  },
  async AnnouncementRevised(trx, data) {
    await trx.updateTable('announcements').set({ ...contentColumns(data), updated_at: data.revisedAt }).where('id', '=', data.announcementId).execute();
  },
  async AnnouncementPublished(trx, data) {
    await trx.updateTable('announcements').set({ status: 'published', published_at: data.publishedAt, updated_at: data.publishedAt }).where('id', '=', data.announcementId).execute();
  },
  async AnnouncementUnpublished(trx, data) {
    await trx.updateTable('announcements').set({ status: 'unpublished', updated_at: data.unpublishedAt }).where('id', '=', data.announcementId).execute();
  },
  async AnnouncementRead(trx, data) {
    await trx
      .insertInto('announcement_reads')
      .values({ announcement_id: data.announcementId, user_id: data.userId, read_at: data.readAt })
      .onConflict((conflict) => conflict.columns(['announcement_id', 'user_id']).doNothing())
      .execute();
  },
  async PlatformAdminGranted(trx, data) {
    await trx
      .insertInto('platform_admins')
      .values({ user_id: data.userId, email: data.email ?? null, granted_at: data.grantedAt })
      .onConflict((conflict) => conflict.column('user_id').doNothing())
      .execute();
  },
});

/**
 * Platform announcements with their audience, each person's read markers, and the platform administrators
 * the bootstrap granted, in `rm_announcements`. Query it through AnnouncementReadRepository and
 * PlatformAdminDirectory.
 */
export const announcementsProjection = defineProjection<AnnouncementsDB>({
  name: ANNOUNCEMENTS_PROJECTION,
  version: 1,
  async migrate(db) {
    const ts = 'timestamptz';
    await db.schema
      .createTable('announcements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('audience_all', 'boolean', (c) => c.notNull())
      .addColumn('organization_ids', sql`text[]`, (c) => c.notNull())
      .addColumn('starts_at', ts)
      .addColumn('ends_at', ts)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('authored_by', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('published_at', ts)
      .execute();
    await db.schema.createIndex('announcements_published').on('announcements').columns(['status', 'published_at']).execute();
    await db.schema.createIndex('announcements_organizations').on('announcements').using('gin').column('organization_ids').execute();
    await db.schema
      .createTable('announcement_reads')
      .addColumn('announcement_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('read_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('announcement_reads_pk', ['user_id', 'announcement_id'])
      .execute();
    await db.schema
      .createTable('platform_admins')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text')
      .addColumn('granted_at', ts, (c) => c.notNull())
      .execute();
  },
  handlers,
});
