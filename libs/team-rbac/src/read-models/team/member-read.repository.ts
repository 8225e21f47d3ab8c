import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Role } from '@steward/contracts';
import { ROLES } from '@steward/contracts';
import { containsPattern, pageOf, pageWindow, type Page, type PageRequest } from '../paging';
import { ReadModelError, ReadModelErrorCode } from '../read-model.error';
import type { MemberRow } from './members.table';
import { teamDb, type TeamDB } from './team-db';
import { TEAM_SCHEMA } from './team.projection';

export interface MemberView {
  readonly workspaceId: string;
  readonly organizationId: string;
  readonly userId: string;
  readonly email: string;
  /** From the user's profile; null until they set one. */
  readonly name: string | null;
  readonly role: Role;
  readonly joinedAt: string;
}

export interface MemberQuery extends PageRequest {
  /** Case-insensitive substring of the email or the profile name. */
  readonly search?: string;
  readonly role?: Role;
}

/** A membership as the reads select it: with the member's profile name. */
type MemberWithName = MemberRow & { readonly name: string | null };

interface MemberRowWithTotal extends MemberWithName {
  readonly total: string;
}

function memberView(row: MemberWithName): MemberView {
  return {
    workspaceId: row.workspace_id,
    organizationId: row.organization_id,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    role: row.role,
    joinedAt: row.joined_at.toISOString(),
  };
}

/** `"rm_team"`, for the statements written as plain SQL. */
const TEAM_SCHEMA_SQL = `"${TEAM_SCHEMA.replace(/"/g, '""')}"`;

/** The members screen of a workspace. Every query takes the workspace first. */
export class MemberReadRepository {
  constructor(
    private readonly deps: {
      readonly db: Kysely<unknown>;
      /**
       * The pool under `db`, when the caller has it: the member list then runs as named prepared
       * statements, parsed and planned once per connection instead of on every call.
       */
      readonly pool?: pg.Pool | undefined;
    },
  ) {}

  private get db(): Kysely<TeamDB> {
    return teamDb(this.deps.db);
  }

  /** Oldest member first. */
  async listMembers(workspaceId: string, query: MemberQuery = {}): Promise<Page<MemberView>> {
    const window = pageWindow(query);
    if (query.role !== undefined && !ROLES.includes(query.role)) {
      throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `role must be one of ${ROLES.join(', ')}`);
    }
    // Plain SQL (no query builder per call: the gateway lists members on a hot path), the page and the
    // total in one round trip (count over the whole filtered set); only a page past the end, which has no
    // row to carry the total, needs a separate count.
    const params: unknown[] = [workspaceId];
    let where = 'm.workspace_id = $1';
    if (query.role !== undefined) {
      params.push(query.role);
      where += ` AND m.role = $${params.length}`;
    }
    const search = query.search?.trim();
    if (search) {
      params.push(containsPattern(search));
      where += ` AND (m.email ILIKE $${params.length} OR p.name ILIKE $${params.length})`;
    }
    const from = `FROM ${TEAM_SCHEMA_SQL}.members AS m LEFT JOIN ${TEAM_SCHEMA_SQL}.user_profiles AS p ON p.user_id = m.user_id WHERE ${where}`;
    const text =
      `SELECT m.workspace_id, m.organization_id, m.user_id, m.email, p.name, m.role, m.joined_at, count(*) OVER () AS total ${from} ` +
      `ORDER BY m.joined_at, m.user_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`;
    const values = [...params, window.pageSize, window.offset];
    // Four shapes of the statement (with or without role and search): one prepared statement name each.
    const rows = this.deps.pool
      ? (await this.deps.pool.query<MemberRowWithTotal>({ name: `rm_team.list_members.${query.role !== undefined ? 'r' : ''}${search ? 's' : ''}`, text, values })).rows
      : (await this.deps.db.executeQuery<MemberRowWithTotal>(CompiledQuery.raw(text, values))).rows;
    const total =
      rows[0] !== undefined
        ? Number(rows[0].total)
        : window.offset === 0
          ? 0
          : Number((await this.deps.db.executeQuery<{ n: string }>(CompiledQuery.raw(`SELECT count(*) AS n ${from}`, params))).rows[0]?.n ?? 0);
    return pageOf(rows.map(memberView), total, window);
  }

  async getMember(workspaceId: string, userId: string): Promise<MemberView | undefined> {
    const row = await this.db
      .selectFrom('members as m')
      .leftJoin('user_profiles as p', 'p.user_id', 'm.user_id')
      .select(['m.workspace_id', 'm.organization_id', 'm.user_id', 'm.email', 'p.name', 'm.role', 'm.joined_at'])
      .where('m.workspace_id', '=', workspaceId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
    return row ? memberView(row) : undefined;
  }
}
