import { CompiledQuery, sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Role, WorkspaceStatus } from '@steward/contracts';
import { ROLES, WORKSPACE_STATUSES } from '@steward/contracts';
import { ActivityRepository, type ActivityEntry } from '../activity/activity.repository';
import { containsPattern, iso, pageOf, pageOfQuery, pageWindow, type Page, type PageRequest } from '../paging';
import { ReadModelError, ReadModelErrorCode } from '../read-model.error';
import type { ApiKeyRow } from './api-keys.table';
import type { InvitationRow } from './invitations.table';
import type { MemberRow } from './members.table';
import type { TeamDB } from './team-db';
import { TEAM_SCHEMA } from './team.projection';
import type { WorkspaceRow } from './workspaces.table';

export interface OrganizationView {
  readonly id: string;
  readonly name: string;
  readonly owner: { readonly userId: string; readonly email: string; readonly name: string | null };
  readonly createdAt: string;
  /** Distinct members across the organization's workspaces. */
  readonly teamSize: number;
}

export interface WorkspaceCounts {
  readonly total: number;
  readonly active: number;
  readonly suspended: number;
  /** provisioning + attention (the dashboard's "Others"). */
  readonly others: number;
  readonly provisioning: number;
  readonly attention: number;
}

export interface OrganizationOverview {
  readonly organization: OrganizationView;
  readonly workspaces: WorkspaceCounts;
  readonly recentActivity: ActivityEntry[];
}

export interface WorkspaceView {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly status: WorkspaceStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

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

/** Never the hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly scopes: string[];
  readonly prefix: string;
  readonly issuedBy: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** For the gateway's API key authentication only: carries the hash. Never return it to a client. */
export interface ApiKeyCredential {
  readonly keyId: string;
  readonly workspaceId: string;
  readonly organizationId: string;
  readonly scopes: string[];
  readonly hash: string;
  readonly revoked: boolean;
  readonly expiresAt: string | null;
}

export interface UserProfileView {
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly organizationName: string | null;
  readonly timeZone: string | null;
  readonly customInstructions: string | null;
  readonly updatedAt: string | null;
}

/** What the gateway needs to build a user's principal. */
export interface Memberships {
  readonly userId: string;
  readonly workspaces: ReadonlyArray<{ readonly workspaceId: string; readonly organizationId: string; readonly role: Role }>;
  /** Organizations where the user holds an owner seat: `owner` in all their workspaces. */
  readonly organizations: ReadonlyArray<{ readonly organizationId: string; readonly role: 'owner' }>;
}

export interface MemberQuery extends PageRequest {
  /** Case-insensitive substring of the email or the profile name. */
  readonly search?: string;
  readonly role?: Role;
}

export interface InvitationQuery extends PageRequest {
  readonly status?: InvitationStatus;
  /** The time `expired` is judged against. Default now. */
  readonly now?: Date;
}

export interface WorkspaceQuery extends PageRequest {
  readonly status?: WorkspaceStatus;
}

function workspaceView(row: WorkspaceRow): WorkspaceView {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A membership as the reads select it: with the member's profile name. */
type MemberWithName = MemberRow & { readonly name: string | null };

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

function apiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    organizationId: row.organization_id,
    workspaceId: row.workspace_id,
    name: row.name,
    scopes: row.scopes,
    prefix: row.prefix,
    issuedBy: row.issued_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

const API_KEY_COLUMNS = [
  'id',
  'organization_id',
  'workspace_id',
  'name',
  'scopes',
  'prefix',
  'issued_by',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const;

/** `"rm_team"`, for the statements written as plain SQL. */
const TEAM_SCHEMA_SQL = `"${TEAM_SCHEMA.replace(/"/g, '""')}"`;

interface MemberRowWithTotal extends MemberWithName {
  readonly total: string;
}

/**
 * Queries over the team read model (`rm_team`). Every query takes the tenant
 * first (an organization, a workspace, or for profiles and memberships the
 * user) and filters by it: a resource of another tenant is simply not found
 * (undefined, or absent from the list).
 */
export class TeamReadRepository {
  private readonly activity: ActivityRepository;

  constructor(
    private readonly deps: {
      readonly db: Kysely<unknown>;
      /**
       * The pool under `db`, when the caller has it: the hot statements (the member list) then run as named
       * prepared statements, parsed and planned once per connection instead of on every call.
       */
      readonly pool?: pg.Pool;
    },
  ) {
    this.activity = new ActivityRepository({ db: deps.db });
  }

  private get db(): Kysely<TeamDB> {
    return (this.deps.db as Kysely<TeamDB>).withSchema(TEAM_SCHEMA);
  }

  async getOrganization(organizationId: string): Promise<OrganizationView | undefined> {
    const row = await this.db
      .selectFrom('organizations as o')
      .leftJoin('user_profiles as p', 'p.user_id', 'o.owner_user_id')
      .select([
        'o.id',
        'o.name',
        'o.owner_user_id',
        'o.owner_email',
        'o.created_at',
        'p.name as owner_name',
        (eb) =>
          eb
            .selectFrom('members as m')
            .whereRef('m.organization_id', '=', 'o.id')
            .select(sql<string>`count(DISTINCT m.user_id)`.as('n'))
            .as('team_size'),
      ])
      .where('o.id', '=', organizationId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      owner: { userId: row.owner_user_id, email: row.owner_email, name: row.owner_name },
      createdAt: row.created_at.toISOString(),
      teamSize: Number(row.team_size ?? 0),
    };
  }

  async workspaceCounts(organizationId: string): Promise<WorkspaceCounts> {
    const rows = await this.db
      .selectFrom('workspaces')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .where('organization_id', '=', organizationId)
      .groupBy('status')
      .execute();
    const by = Object.fromEntries(WORKSPACE_STATUSES.map((status) => [status, 0])) as Record<WorkspaceStatus, number>;
    for (const row of rows) by[row.status] = Number(row.n);
    return {
      total: by.provisioning + by.active + by.suspended + by.attention,
      active: by.active,
      suspended: by.suspended,
      others: by.provisioning + by.attention,
      provisioning: by.provisioning,
      attention: by.attention,
    };
  }

  /** The organization dashboard: the organization, its workspaces by status and the newest activity. */
  async organizationOverview(
    organizationId: string,
    options: {
      recentActivity?: number;
      /** The workspaces whose activity the reader may see (`workspacesAllowed(…, 'activity.read')`); default all. */
      activityWorkspaces?: 'all' | readonly string[];
    } = {},
  ): Promise<OrganizationOverview | undefined> {
    const organization = await this.getOrganization(organizationId);
    if (!organization) return undefined;
    const scope = options.activityWorkspaces;
    const [workspaces, recentActivity] = await Promise.all([
      this.workspaceCounts(organizationId),
      this.activity.recentActivity(organizationId, options.recentActivity ?? 5, scope === undefined || scope === 'all' ? {} : { workspaceIds: scope }),
    ]);
    return { organization, workspaces, recentActivity };
  }

  /** Oldest first. */
  async listWorkspaces(organizationId: string, query: WorkspaceQuery = {}): Promise<Page<WorkspaceView>> {
    const window = pageWindow(query);
    let base = this.db.selectFrom('workspaces').where('organization_id', '=', organizationId);
    if (query.status !== undefined) base = base.where('status', '=', query.status);
    return pageOfQuery(base, window, (rows) => rows.selectAll().orderBy('created_at').orderBy('id'), workspaceView);
  }

  async getWorkspace(organizationId: string, workspaceId: string): Promise<WorkspaceView | undefined> {
    const row = await this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', workspaceId)
      .executeTakeFirst();
    return row ? workspaceView(row) : undefined;
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

  /** Newest first, revoked ones included (with `revokedAt`). */
  async listApiKeys(workspaceId: string, query: PageRequest = {}): Promise<Page<ApiKeyView>> {
    const window = pageWindow(query);
    const base = this.db.selectFrom('api_keys').where('workspace_id', '=', workspaceId);
    return pageOfQuery(base, window, (rows) => rows.select(API_KEY_COLUMNS).orderBy('created_at', 'desc').orderBy('id'), apiKeyView);
  }

  async getApiKey(workspaceId: string, apiKeyId: string): Promise<ApiKeyView | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(API_KEY_COLUMNS)
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', apiKeyId)
      .executeTakeFirst();
    return row ? apiKeyView(row) : undefined;
  }

  /**
   * GATEWAY AUTHENTICATION ONLY: the key with this visible prefix, with its
   * stored hash, for `verifyApiKey(presented, credential.hash)`. The prefix is
   * the tenant-free entry point by design (the key itself names its tenant).
   * Undefined when no key has this prefix.
   */
  async authenticateApiKey(prefix: string): Promise<ApiKeyCredential | undefined> {
    const row = await this.db
      .selectFrom('api_key_secrets as s')
      .innerJoin('api_keys as k', 'k.id', 's.api_key_id')
      .select(['k.id', 'k.workspace_id', 'k.organization_id', 'k.scopes', 's.key_hash', 'k.revoked_at', 'k.expires_at'])
      .where('s.prefix', '=', prefix)
      .orderBy('k.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      keyId: row.id,
      workspaceId: row.workspace_id,
      organizationId: row.organization_id,
      scopes: row.scopes,
      hash: row.key_hash,
      revoked: row.revoked_at !== null,
      expiresAt: iso(row.expires_at),
    };
  }

  /**
   * The gateway records a successful use (not an event: see the README). Only
   * moves forward. False when the key is not in this workspace.
   */
  async recordApiKeyUse(workspaceId: string, apiKeyId: string, at: Date = new Date()): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', apiKeyId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async getProfile(userId: string): Promise<UserProfileView | undefined> {
    const row = await this.db.selectFrom('user_profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) return undefined;
    return {
      userId: row.user_id,
      email: row.email,
      name: row.name,
      organizationName: row.organization_name,
      timeZone: row.time_zone,
      customInstructions: row.custom_instructions,
      updatedAt: iso(row.updated_at),
    };
  }

  async membershipsOf(userId: string): Promise<Memberships> {
    const [workspaces, owners] = await Promise.all([
      this.db
        .selectFrom('members')
        .select(['workspace_id', 'organization_id', 'role'])
        .where('user_id', '=', userId)
        .orderBy('organization_id')
        .orderBy('workspace_id')
        .execute(),
      this.db
        .selectFrom('organization_owners')
        .select('organization_id')
        .distinct()
        .where('user_id', '=', userId)
        .orderBy('organization_id')
        .execute(),
    ]);
    return {
      userId,
      workspaces: workspaces.map((row) => ({ workspaceId: row.workspace_id, organizationId: row.organization_id, role: row.role })),
      organizations: owners.map((row) => ({ organizationId: row.organization_id, role: 'owner' as const })),
    };
  }
}
