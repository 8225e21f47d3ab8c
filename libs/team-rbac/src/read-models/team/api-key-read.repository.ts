import type { Kysely } from 'kysely';
import { iso, pageOfQuery, pageWindow, type Page, type PageRequest } from '../paging';
import type { ApiKeyRow } from './api-keys.table';
import { teamDb, type TeamDB } from './team-db';

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

/** The API keys screen of a workspace. Every query takes the workspace first; none reads a hash. */
export class ApiKeyReadRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<TeamDB> {
    return teamDb(this.deps.db);
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
}
