import type { TeamCommandType } from '@steward/contracts';
import type { EnvelopedCommand } from './command';
import type { Fold } from '@steward/commands';
import { TeamStreams, type CommandEnvelope, type Role, type TeamEvent } from '@steward/contracts';
import { evolveOrganization, initialOrganizationState, isOrganizationOwner, type OrganizationState } from '../organizations/organization.decider';
import { evolveWorkspace, initialWorkspaceState, type WorkspaceState } from '../workspaces/workspace.decider';
import type { Loaded, TeamCommandRunner } from './team-command-runner';
import { TeamError, TeamErrorCode } from './team.error';

/** A workspace's stream folded alone: what authorization and the deciders read of it. */
export const workspaceStream: Fold<WorkspaceState, TeamEvent> = { initialState: initialWorkspaceState, evolve: evolveWorkspace };

/** An organization's stream folded alone. */
export const organizationStream: Fold<OrganizationState, TeamEvent> = { initialState: initialOrganizationState, evolve: evolveOrganization };

/** A workspace and its organization, as loaded for one decision. */
export interface WorkspaceScope {
  readonly workspace: Loaded<WorkspaceState>;
  /** Undefined when the workspace does not exist. */
  readonly organization: Loaded<OrganizationState> | undefined;
}

export async function loadWorkspaceScope(
  runner: TeamCommandRunner,
  envelope: CommandEnvelope,
  workspaceId: string,
): Promise<WorkspaceScope> {
  const workspace = await runner.load(TeamStreams.workspace(workspaceId), workspaceStream);
  if (!workspace.state.exists) return { workspace, organization: undefined };
  // The tenant wall: a workspace of another organization does not exist for this command.
  if (envelope.organizationId && envelope.organizationId !== workspace.state.organizationId) {
    throw new TeamError(TeamErrorCode.NotFound, `no workspace ${workspaceId} in ${envelope.organizationId}`);
  }
  const organization = await runner.load(TeamStreams.organization(workspace.state.organizationId), organizationStream);
  return { workspace, organization };
}

export function scopeStreams(scope: WorkspaceScope): Array<Loaded<unknown>> {
  return scope.organization ? [scope.workspace, scope.organization] : [scope.workspace];
}

export function scopeStates(scope: WorkspaceScope): { workspace: WorkspaceState; organization: OrganizationState } {
  return { workspace: scope.workspace.state, organization: scope.organization?.state ?? initialOrganizationState };
}

/**
 * The actor's role in the workspace, as this service knows it: an
 * organization owner is an owner in every workspace of the organization;
 * anyone else holds their membership's role, or none.
 */
export function actorRole(
  actor: CommandEnvelope['actor'],
  workspace: WorkspaceState,
  organization: OrganizationState,
): Role | undefined {
  if (actor.type !== 'user') return undefined;
  if (isOrganizationOwner(organization, actor.id)) return 'owner';
  return workspace.exists ? workspace.members[actor.id]?.role : undefined;
}

/**
 * Checks the actor may run the command in this workspace: a workspace that
 * does not exist, or in which a person holds no membership, is NOT_FOUND (the
 * tenant wall answers 404, never 403); a role the matrix refuses is FORBIDDEN.
 */
export function authorizeInScope(
  runner: TeamCommandRunner,
  command: EnvelopedCommand<TeamCommandType>,
  scope: WorkspaceScope,
): void {
  const { workspace, organization } = scopeStates(scope);
  if (!workspace.exists) throw new TeamError(TeamErrorCode.NotFound, `no workspace ${workspaceIdOf(command)}`);
  const role = actorRole(command.actor, workspace, organization);
  if (role === undefined && command.actor.type === 'user') {
    throw new TeamError(TeamErrorCode.NotFound, `no workspace ${workspace.workspaceId} for ${command.actor.id}`);
  }
  runner.authorize(command, role);
}

function workspaceIdOf(command: EnvelopedCommand<TeamCommandType>): string {
  return (command.payload as { workspaceId?: string }).workspaceId ?? '(none)';
}
