import type { CommandEnvelope } from '@steward/contracts';
import { TeamAccessErrorCode, refusingAs, type TeamAccess } from '@steward/team-rbac';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';

const MODEL_SETTINGS_REFUSALS = {
  [TeamAccessErrorCode.NotFound]: ModelSettingsErrorCode.NotFound,
  [TeamAccessErrorCode.Forbidden]: ModelSettingsErrorCode.Forbidden,
} as const;

/**
 * Who may change model settings, decided by the team's access module (from
 * the team's own events, not what the caller claims), with the permission
 * matrix of @steward/auth (`models.write`):
 * - the system (bootstrap, Steward's reactors) may;
 * - a person may when their role in the workspace allows it (an organization
 *   owner is an owner in every workspace of the organization);
 * - API keys and services never may (no scope grants model settings);
 * - a workspace that does not exist, lies in another organization than the
 *   envelope's, or in which the person holds no role is NOT_FOUND (404, the tenant wall).
 * Returns the workspace's organization.
 */
export function authorizeModelSettings(access: TeamAccess, envelope: CommandEnvelope, workspaceId: string): Promise<string> {
  return refusingAs(ModelSettingsError, MODEL_SETTINGS_REFUSALS, async () => {
    const organizationId = await access.organizationOf(workspaceId, envelope.organizationId);
    const { actor } = envelope;
    if (actor.type === 'system') return organizationId;
    if (actor.type !== 'user') throw new ModelSettingsError(ModelSettingsErrorCode.Forbidden, `${actor.type} ${actor.id} may not change model settings`);
    await access.authorize({ actor, workspaceId, action: 'models.write', doing: 'change model settings (admin only)' });
    return organizationId;
  });
}
