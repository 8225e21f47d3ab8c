import { sql, type Kysely } from 'kysely';
import type { WorkspaceStatus } from '@steward/contracts';
import { WORKSPACE_STATUSES } from '@steward/contracts';
import { ActivityRepository, type ActivityEntry } from '../activity/activity.repository';
import { pageOfQuery, pageWindow, type Page, type PageRequest } from '../paging';
import { teamDb, type TeamDB } from './team-db';
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
  /** Absent when the options withhold it. */
  readonly workspaces?: WorkspaceCounts;
  /** The newest entries; absent when the reader may see none of the log. */
  readonly recentActivity?: ActivityEntry[];
  /** The activity log's cursor after these entries ("show more"); null when there are no more. */
  readonly recentActivityCursor?: string | null;
}

export interface WorkspaceView {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly status: WorkspaceStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface WorkspaceQuery extends PageRequest {
  readonly status?: WorkspaceStatus;
}

/** The organization a fresh system was bootstrapped with, and who owns it. */
export interface FirstOrganization {
  readonly id: string;
  readonly firstWorkspaceId: string;
  readonly ownerUserId: string;
  readonly ownerEmail: string;
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

/**
 * The organization screens: an organization, its dashboard and its
 * workspaces. Every query takes the organization first: a workspace of
 * another organization is not found.
 */
export class OrganizationReadRepository {
  private readonly activity: ActivityRepository;

  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {
    this.activity = new ActivityRepository({ db: deps.db });
  }

  private get db(): Kysely<TeamDB> {
    return teamDb(this.deps.db);
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
      /**
       * The workspaces whose activity the reader may see (`workspacesAllowed(…, 'activity.read')`); default all.
       * None: the recent activity is left out.
       */
      activityWorkspaces?: 'all' | readonly string[];
      /** Whether the workspace counts are included. Default true. */
      workspaces?: boolean;
    } = {},
  ): Promise<OrganizationOverview | undefined> {
    const organization = await this.getOrganization(organizationId);
    if (!organization) return undefined;
    const scope = options.activityWorkspaces;
    const activityShown = scope === undefined || scope === 'all' || scope.length > 0;
    const [workspaces, activity] = await Promise.all([
      options.workspaces === false ? undefined : this.workspaceCounts(organizationId),
      activityShown
        ? this.activity.listActivity(organizationId, { limit: options.recentActivity ?? 5, ...(scope === undefined || scope === 'all' ? {} : { workspaceIds: scope }) })
        : undefined,
    ]);
    return {
      organization,
      ...(workspaces !== undefined ? { workspaces } : {}),
      ...(activity !== undefined ? { recentActivity: activity.items, recentActivityCursor: activity.nextCursor } : {}),
    };
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

  /**
   * The oldest organization, for the bootstrap's "is this system set up yet?".
   * Tenant-free by design: it runs before anyone is signed in. Undefined when
   * there is none, or no team read model yet.
   */
  async firstOrganization(): Promise<FirstOrganization | undefined> {
    const table = await sql<{ found: number }>`
      SELECT 1 AS found FROM information_schema.tables WHERE table_schema = ${TEAM_SCHEMA} AND table_name = 'organizations'`.execute(this.deps.db);
    if (table.rows.length === 0) return undefined;
    const row = await this.db
      .selectFrom('organizations')
      .select(['id', 'first_workspace_id', 'owner_user_id', 'owner_email'])
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row ? { id: row.id, firstWorkspaceId: row.first_workspace_id, ownerUserId: row.owner_user_id, ownerEmail: row.owner_email } : undefined;
  }
}
