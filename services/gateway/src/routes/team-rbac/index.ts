import { TEAM_ERROR_HTTP_STATUS } from '@steward/contracts';
import type { AnyRoute } from '../../route';
import { activityRoutes } from './activity.routes';
import { announcementRoutes } from './announcement.routes';
import { apiKeyRoutes } from './api-key.routes';
import { organizationRoutes } from './organization.routes';
import { TeamRouteKit } from './team-route.support';
import { teamRoutes as teamMemberRoutes } from './team.routes';
import type { TeamRoutesDeps } from './team-routes.deps';

export * from './invitation-token';
export * from './team-command.sender';
export * from './team-routes.deps';
export * from './team-views.schema';

/** Give these to `createGatewayApp({ config: { errorStatuses } })` with the team routes: the team's refusals as HTTP statuses. */
export const TEAM_ROUTE_ERROR_STATUSES: Readonly<Record<string, number>> = TEAM_ERROR_HTTP_STATUS;

/**
 * The team domain's routes: organizations and workspaces, invitations,
 * members, the caller's profile, API keys, the activity log and the platform's announcements.
 */
export function teamRoutes(deps: TeamRoutesDeps): AnyRoute[] {
  const kit = new TeamRouteKit(deps);
  return [...organizationRoutes(kit), ...teamMemberRoutes(kit), ...apiKeyRoutes(kit), ...activityRoutes(kit), ...announcementRoutes(kit)];
}
