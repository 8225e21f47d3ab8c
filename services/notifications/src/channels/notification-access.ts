import { roleCan } from '@steward/auth';
import type { CommandEnvelope } from '@steward/contracts';
import type { TeamAccess, WorkspaceOrganizations } from '@steward/team-rbac';
import { NotificationError, NotificationErrorCode } from './notification.error';

export type NotificationAction = 'notifications.read' | 'notifications.write';

/** Who may send a notifications command for an organization; throws a NotificationError when refused. */
export type NotificationAuthorizer = (
  envelope: CommandEnvelope,
  organizationId: string,
  options: { readonly action: NotificationAction; readonly systemOnly?: boolean },
) => Promise<void>;

/**
 * The gateway's decision made again from the team's own facts: channels are
 * an organization's, and a person may act on them when their role in one of
 * its workspaces allows it (`notifications.write`: owner, admin, billing).
 * The system may (the delivery worker disables a channel on a 410); other
 * services and API keys may not. A caller who holds nothing in the
 * organization is NOT_FOUND (the tenant wall), a refused role FORBIDDEN.
 */
export function teamNotificationAuthorizer(access: TeamAccess, workspaces: WorkspaceOrganizations): NotificationAuthorizer {
  return async (envelope, organizationId, { action, systemOnly }) => {
    const { actor } = envelope;
    if (envelope.organizationId !== undefined && envelope.organizationId !== organizationId) {
      throw new NotificationError(NotificationErrorCode.NotFound, `no organization ${organizationId}`);
    }
    if (actor.type === 'system') return;
    if (systemOnly) throw new NotificationError(NotificationErrorCode.Forbidden, `only Steward itself may do this, not ${actor.type} ${actor.id}`);
    if (actor.type !== 'user') throw new NotificationError(NotificationErrorCode.Forbidden, `a ${actor.type} may not manage notification channels`);
    let member = false;
    for (const workspaceId of await workspaces.workspacesIn(organizationId)) {
      const role = await access.roleOf(actor.id, workspaceId);
      if (role === undefined) continue;
      member = true;
      if (roleCan(role, action)) return;
    }
    if (!member) throw new NotificationError(NotificationErrorCode.NotFound, `no organization ${organizationId} for ${actor.id}`);
    throw new NotificationError(NotificationErrorCode.Forbidden, `${actor.id} may not manage notification channels (owner, admin or billing role)`);
  };
}
