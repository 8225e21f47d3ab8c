import type pg from 'pg';
import { TEAM_SCHEMA } from '@steward/team-rbac';
import type { WorkspaceRow } from '@steward/team-rbac';

const MAX_REMEMBERED = 100_000;
const UNDEFINED_TABLE = '42P01';
const UNDEFINED_SCHEMA = '3F000';

/**
 * The organization of each workspace, from the team read model (`rm_team.workspaces`, kept by the team
 * projection). A workspace never changes organization, so answers are remembered; an unknown workspace is
 * asked again next time (the projection may not have caught up yet).
 */
export class WorkspaceOrganizations {
  private readonly known = new Map<string, string>();
  private readonly sql: string;

  constructor(
    private readonly pool: pg.Pool,
    teamSchema: string = TEAM_SCHEMA,
  ) {
    this.sql = `SELECT id, organization_id FROM "${teamSchema.replaceAll('"', '""')}".workspaces WHERE id = ANY($1::text[])`;
  }

  /** Organization ids by workspace id, for the workspaces that are known. */
  async organizationsOf(workspaceIds: Iterable<string>): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const workspaceId of new Set(workspaceIds)) {
      const organizationId = this.known.get(workspaceId);
      if (organizationId) found.set(workspaceId, organizationId);
      else missing.push(workspaceId);
    }
    if (missing.length === 0) return found;
    let rows: Pick<WorkspaceRow, 'id' | 'organization_id'>[];
    try {
      ({ rows } = await this.pool.query<Pick<WorkspaceRow, 'id' | 'organization_id'>>({
        name: 'metering_workspace_organizations',
        text: this.sql,
        values: [missing],
      }));
    } catch (error) {
      // No team read model in this database (yet): every asked workspace is unknown for now.
      const code = (error as { code?: string }).code;
      if (code === UNDEFINED_TABLE || code === UNDEFINED_SCHEMA) return found;
      throw error;
    }
    if (this.known.size + rows.length > MAX_REMEMBERED) this.known.clear();
    for (const row of rows) {
      this.known.set(row.id, row.organization_id);
      found.set(row.id, row.organization_id);
    }
    return found;
  }

  /** Remembers what an ingest batch said (the gateway knows the organization of the key it checked). */
  remember(workspaceId: string, organizationId: string): void {
    if (!this.known.has(workspaceId) && this.known.size < MAX_REMEMBERED) this.known.set(workspaceId, organizationId);
  }
}
