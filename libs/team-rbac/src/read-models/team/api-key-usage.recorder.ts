import type { Kysely } from 'kysely';
import { teamDb } from './team-db';

/**
 * Writes an API key's last use into the team read model (`api_keys.last_used_at`).
 * Operational, not an event (see the README): the gateway records a successful
 * authentication with it, and a rebuild of the read model starts it empty.
 */
export class ApiKeyUsageRecorder {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  /** Only moves forward. False when the key is not in this workspace, or a later use is already recorded. */
  async recordUse(workspaceId: string, apiKeyId: string, at: Date = new Date()): Promise<boolean> {
    const result = await teamDb(this.deps.db)
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', apiKeyId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
