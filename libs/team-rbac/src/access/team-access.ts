import { actionsForScopes, roleCan, type Action } from '@steward/auth';
import type { Actor, Role } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { TeamAccessError, TeamAccessErrorCode } from './team-access.error';
import { TeamStreamFolds, isOwner } from './team-access.folds';

export interface TeamAccessCheck {
  /** A person (`user`) or an API key; Steward's own actors are each context's call (see TeamAccess). */
  readonly actor: Actor;
  readonly workspaceId: string;
  readonly action: Action;
  /** The action in words for a refusal's message ("write jobs"); default the action's name. */
  readonly doing?: string;
}

/**
 * The team's answer to "may this caller do this in this workspace?", for the
 * services that re-check what the gateway already decided. Decided from the
 * team's own events, not from a read model, so that a write the caller made a
 * moment ago (a membership added, a key revoked) counts at once. The rules:
 *
 * - a person holds the role of their membership in the workspace; an
 *   organization owner holds `owner` in every workspace of the organization;
 * - an API key belongs to one workspace, counts until revoked, and may do the
 *   actions its scopes grant (`actionsForScopes`);
 * - the permission matrix of @steward/auth (`roleCan`) judges a person's role.
 *
 * The tenant wall: a workspace that does not exist, lies in another tenant, or
 * in which the caller holds nothing is NOT_FOUND (404, never 403); a caller in
 * the workspace whose role or scopes refuse the action is FORBIDDEN.
 *
 * Steward's own actors (`system`, `service`) are not judged here: which of them
 * a context trusts differs (job-history trusts both, model settings only the
 * system), so each context decides them before asking.
 */
export class TeamAccess {
  private readonly folds: TeamStreamFolds;

  constructor(deps: { readonly store: EventStore }) {
    this.folds = new TeamStreamFolds(deps.store);
  }

  /**
   * The organization of a workspace. NOT_FOUND when there is no such
   * workspace, or when it lies in another organization than
   * `claimedOrganizationId` (the tenant a command's envelope names).
   */
  async organizationOf(workspaceId: string, claimedOrganizationId?: string): Promise<string> {
    const workspace = await this.folds.workspace(workspaceId);
    if (!workspace.exists) throw new TeamAccessError(TeamAccessErrorCode.NotFound, `no workspace ${workspaceId}`);
    if (claimedOrganizationId && claimedOrganizationId !== workspace.organizationId) {
      throw new TeamAccessError(TeamAccessErrorCode.NotFound, `no workspace ${workspaceId} in ${claimedOrganizationId}`);
    }
    return workspace.organizationId;
  }

  /** A person's role in a workspace (owner of its organization, else their membership's); undefined when they hold none. */
  async roleOf(userId: string, workspaceId: string): Promise<Role | undefined> {
    const workspace = await this.folds.workspace(workspaceId);
    return workspace.exists ? this.roleIn(userId, workspace.organizationId, workspace.roles) : undefined;
  }

  /** Resolves when the caller may do the action in the workspace; otherwise throws a TeamAccessError. */
  async authorize(check: TeamAccessCheck): Promise<void> {
    const { actor, workspaceId, action } = check;
    const doing = check.doing ?? action;
    switch (actor.type) {
      case 'api_key': {
        const key = await this.folds.apiKey(actor.id);
        if (!key.exists || key.workspaceId !== workspaceId || key.revoked) {
          throw new TeamAccessError(TeamAccessErrorCode.NotFound, `no workspace ${workspaceId} for API key ${actor.id}`);
        }
        if (!actionsForScopes(key.scopes).includes(action)) throw new TeamAccessError(TeamAccessErrorCode.Forbidden, `API key ${actor.id} may not ${doing}`);
        return;
      }
      case 'user': {
        const workspace = await this.folds.workspace(workspaceId);
        if (!workspace.exists) throw new TeamAccessError(TeamAccessErrorCode.NotFound, `no workspace ${workspaceId}`);
        const role = await this.roleIn(actor.id, workspace.organizationId, workspace.roles);
        if (role === undefined) throw new TeamAccessError(TeamAccessErrorCode.NotFound, `no workspace ${workspaceId} for ${actor.id}`);
        if (!roleCan(role, action)) throw new TeamAccessError(TeamAccessErrorCode.Forbidden, `a ${role} may not ${doing}`);
        return;
      }
      case 'service':
      case 'system':
        throw new TeamAccessError(TeamAccessErrorCode.Forbidden, `a ${actor.type} holds no role in a workspace: ${actor.id} may not ${doing}`);
      default: {
        const _exhaustive: never = actor.type;
        throw new TeamAccessError(TeamAccessErrorCode.Forbidden, `unknown actor type ${String(_exhaustive)}`);
      }
    }
  }

  private async roleIn(userId: string, organizationId: string, roles: Readonly<Record<string, Role>>): Promise<Role | undefined> {
    if (isOwner(await this.folds.organizationOwners(organizationId), userId)) return 'owner';
    return Object.hasOwn(roles, userId) ? roles[userId] : undefined;
  }
}
