import { roleCan } from '@steward/auth';
import { TeamStreams, type CommandEnvelope, type Role } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { isOrganizationOwner, organizationDecider, type OrganizationState } from '../../../team-rbac/src/organizations/organization.decider';
import { teamStateOf } from '../../../team-rbac/src/shared/team-streams';
import { workspaceDecider, type WorkspaceState } from '../../../team-rbac/src/workspaces/workspace.decider';
import { ModelSettingsError, ModelSettingsErrorCode } from './model-settings.error';

/**
 * Who may change model settings, decided from the team context's own streams
 * (the source of truth, not what the caller claims), with THE permission
 * matrix of @steward/auth (`models.write`):
 * - the system (bootstrap, Steward's reactors) may;
 * - a person may when their role in the workspace allows it (an organization
 *   owner is an owner in every workspace of the organization);
 * - API keys and services never may (no scope grants model settings);
 * - a workspace that does not exist, lies in another organization than the
 *   envelope's, or in which the person holds no role is NOT_FOUND (404, the tenant wall).
 * Returns the workspace's organization.
 */
export async function authorizeModelSettings(store: EventStore, envelope: CommandEnvelope, workspaceId: string): Promise<string> {
  const workspace: WorkspaceState = (await teamStateOf(store, TeamStreams.workspace(workspaceId), workspaceDecider)).workspace;
  if (!workspace.exists) throw new ModelSettingsError(ModelSettingsErrorCode.NotFound, `no workspace ${workspaceId}`);
  if (envelope.organizationId && envelope.organizationId !== workspace.organizationId) {
    throw new ModelSettingsError(ModelSettingsErrorCode.NotFound, `no workspace ${workspaceId} in ${envelope.organizationId}`);
  }
  const { actor } = envelope;
  if (actor.type === 'system') return workspace.organizationId;
  if (actor.type !== 'user') throw new ModelSettingsError(ModelSettingsErrorCode.Forbidden, `${actor.type} ${actor.id} may not change model settings`);
  const organization: OrganizationState = (await teamStateOf(store, TeamStreams.organization(workspace.organizationId), organizationDecider)).organization;
  const role: Role | undefined = isOrganizationOwner(organization, actor.id) ? 'owner' : workspace.members[actor.id]?.role;
  if (role === undefined) throw new ModelSettingsError(ModelSettingsErrorCode.NotFound, `no workspace ${workspaceId} for ${actor.id}`);
  if (!roleCan(role, 'models.write')) {
    throw new ModelSettingsError(ModelSettingsErrorCode.Forbidden, `a ${role} may not change model settings (admin only)`);
  }
  return workspace.organizationId;
}
