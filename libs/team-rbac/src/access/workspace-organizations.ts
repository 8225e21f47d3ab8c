import { sql, type Kysely } from 'kysely';
import { teamDb } from '../read-models/team/team-db';

const MAX_REMEMBERED = 100_000;
const UNDEFINED_TABLE = '42P01';
const UNDEFINED_SCHEMA = '3F000';

/**
 * Workspace → organization, from the team read model. A workspace never
 * changes organization, so every answer found is remembered (bounded); an
 * unknown workspace is asked again next time, since the projection may not
 * have caught up yet. A database without the team read model (yet) knows no
 * workspace rather than failing: usage-metering may start before the
 * projections service has created it.
 */
export class WorkspaceOrganizations {
  private readonly known = new Map<string, string>();

  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  /** The organization of one workspace; undefined while it is unknown. */
  async organizationOf(workspaceId: string): Promise<string | undefined> {
    return (await this.organizationsOf([workspaceId])).get(workspaceId);
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
    let rows: Array<{ id: string; organization_id: string }>;
    try {
      rows = await teamDb(this.deps.db).selectFrom('workspaces').select(['id', 'organization_id']).where(sql<boolean>`id = ANY(${missing}::text[])`).execute();
    } catch (error) {
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

  /** Remembers what a trusted source said (the gateway knows the organization of the key it checked). */
  remember(workspaceId: string, organizationId: string): void {
    if (!this.known.has(workspaceId) && this.known.size < MAX_REMEMBERED) this.known.set(workspaceId, organizationId);
  }

  /** Every workspace of an organization, by id (not remembered: workspaces are added). */
  async workspacesIn(organizationId: string): Promise<string[]> {
    const rows = await teamDb(this.deps.db).selectFrom('workspaces').select('id').where('organization_id', '=', organizationId).orderBy('id').execute();
    return rows.map((row) => row.id);
  }
}
