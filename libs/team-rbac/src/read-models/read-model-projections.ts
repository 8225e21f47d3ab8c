import type { ProjectionDefinition } from '@steward/projections';
import { activityProjection } from './activity/activity.projection';
import { teamProjection } from './team/team.projection';
import { announcementsProjection } from './announcements/announcements.projection';

/** The team context's projections, for the projections service's catalogue. */
export const teamReadModelProjections: readonly ProjectionDefinition[] = [teamProjection, activityProjection, announcementsProjection];
