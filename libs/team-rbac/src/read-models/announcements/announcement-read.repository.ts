import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { AnnouncementAudience, AnnouncementKind, MaintenanceWindow } from '@steward/contracts';
import { iso, pageOf, pageWindow, type Page, type PageRequest } from '../paging';
import { announcementsDb, type AnnouncementRow, type AnnouncementsDB } from './announcements.table';

export type AnnouncementStatus = AnnouncementRow['status'];

export interface AnnouncementView {
  readonly id: string;
  readonly kind: AnnouncementKind;
  readonly title: string;
  readonly body: string;
  readonly audience: AnnouncementAudience;
  /** A maintenance's window; null for the other kinds. */
  readonly window: MaintenanceWindow | null;
  readonly status: AnnouncementStatus;
  readonly authoredBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly publishedAt: string | null;
}

/** An announcement as one reader sees it: with their read marker. */
export interface ReaderAnnouncementView extends AnnouncementView {
  readonly read: boolean;
  readonly readAt: string | null;
}

/** Who reads: a person and every organization they belong to (the audience is matched against these). */
export interface AnnouncementReader {
  readonly userId: string;
  readonly organizationIds: readonly string[];
}

export interface ReaderAnnouncementQuery extends PageRequest {
  /** Only those the reader has not marked read. */
  readonly unread?: boolean;
}

export interface ReaderAnnouncementPage extends Page<ReaderAnnouncementView> {
  /** How many of the reader's announcements are unread (whatever the filter). */
  readonly unreadCount: number;
}

export interface AnnouncementQuery extends PageRequest {
  readonly status?: AnnouncementStatus;
}

function view(row: AnnouncementRow): AnnouncementView {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    audience: row.audience_all ? { type: 'all' } : { type: 'organizations', organizationIds: row.organization_ids },
    window: row.starts_at !== null && row.ends_at !== null ? { startsAt: row.starts_at.toISOString(), endsAt: row.ends_at.toISOString() } : null,
    status: row.status,
    authoredBy: row.authored_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    publishedAt: iso(row.published_at),
  };
}

/**
 * The announcements read side. A reader sees the published announcements addressed to all, or to one of
 * their organizations, newest first, each with their read marker; a platform administrator lists every
 * announcement (drafts and unpublished ones too) to manage them.
 */
export class AnnouncementReadRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<AnnouncementsDB> {
    return announcementsDb(this.deps.db);
  }

  private visibleTo(reader: AnnouncementReader) {
    const organizations = [...reader.organizationIds];
    return this.db
      .selectFrom('announcements as a')
      .leftJoin('announcement_reads as r', (join) => join.onRef('r.announcement_id', '=', 'a.id').on('r.user_id', '=', reader.userId))
      .where('a.status', '=', 'published')
      .where((eb) => {
        const any: Expression<SqlBool>[] = [eb('a.audience_all', '=', true)];
        if (organizations.length > 0) any.push(sql<SqlBool>`a.organization_ids && ${sql.val(organizations)}::text[]`);
        return eb.or(any);
      });
  }

  /** The reader's announcements, newest published first, with the count of unread ones. */
  async listFor(reader: AnnouncementReader, query: ReaderAnnouncementQuery = {}): Promise<ReaderAnnouncementPage> {
    const window = pageWindow(query);
    const base = query.unread ? this.visibleTo(reader).where('r.read_at', 'is', null) : this.visibleTo(reader);
    const [rows, total, unread] = await Promise.all([
      base.selectAll('a').select('r.read_at').orderBy('a.published_at', 'desc').orderBy('a.id', 'desc').limit(window.pageSize).offset(window.offset).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      this.visibleTo(reader).where('r.read_at', 'is', null).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const items = rows.map((row) => ({ ...view(row), read: row.read_at !== null, readAt: iso(row.read_at) }));
    return { ...pageOf(items, Number(total.n), window), unreadCount: Number(unread.n) };
  }

  /** One announcement the reader may see (published, addressed to them), else undefined. */
  async getFor(reader: AnnouncementReader, announcementId: string): Promise<ReaderAnnouncementView | undefined> {
    const row = await this.visibleTo(reader).selectAll('a').select('r.read_at').where('a.id', '=', announcementId).executeTakeFirst();
    return row ? { ...view(row), read: row.read_at !== null, readAt: iso(row.read_at) } : undefined;
  }

  /** Every announcement, newest first (platform administrators). */
  async listAll(query: AnnouncementQuery = {}): Promise<Page<AnnouncementView>> {
    const window = pageWindow(query);
    let base = this.db.selectFrom('announcements');
    if (query.status !== undefined) base = base.where('status', '=', query.status);
    const [rows, total] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(window.pageSize).offset(window.offset).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return pageOf(rows.map(view), Number(total.n), window);
  }

  /** Any announcement by id (platform administrators). */
  async get(announcementId: string): Promise<AnnouncementView | undefined> {
    const row = await this.db.selectFrom('announcements').selectAll().where('id', '=', announcementId).executeTakeFirst();
    return row ? view(row) : undefined;
  }
}
