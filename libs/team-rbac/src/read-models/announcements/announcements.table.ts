import type { ColumnType, Insertable, Kysely, Selectable } from 'kysely';
import type { AnnouncementKind } from '@steward/contracts';
import { ANNOUNCEMENTS_SCHEMA } from './announcements.projection';

type Time = ColumnType<Date, Date | string, Date | string>;
type MaybeTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** One row per announcement, as its last event left it. */
export interface AnnouncementsTable {
  id: string;
  kind: AnnouncementKind;
  title: string;
  body: string;
  /** True: every organization; false: the organizations of `organization_ids`. */
  audience_all: boolean;
  organization_ids: string[];
  starts_at: MaybeTime;
  ends_at: MaybeTime;
  status: 'draft' | 'published' | 'unpublished';
  authored_by: string;
  created_at: Time;
  updated_at: Time;
  published_at: MaybeTime;
}

/** A person's read marker. */
export interface AnnouncementReadsTable {
  announcement_id: string;
  user_id: string;
  read_at: Time;
}

/** Who the bootstrap made a platform administrator (the configuration's are not stored). */
export interface PlatformAdminsTable {
  user_id: string;
  email: string | null;
  granted_at: Time;
}

/** The `announcements` read model (schema `rm_announcements`). */
export interface AnnouncementsDB {
  announcements: AnnouncementsTable;
  announcement_reads: AnnouncementReadsTable;
  platform_admins: PlatformAdminsTable;
}

export type AnnouncementRow = Selectable<AnnouncementsTable>;
export type NewAnnouncementRow = Insertable<AnnouncementsTable>;

export function announcementsDb(db: Kysely<unknown>): Kysely<AnnouncementsDB> {
  return (db as Kysely<AnnouncementsDB>).withSchema(ANNOUNCEMENTS_SCHEMA);
}
