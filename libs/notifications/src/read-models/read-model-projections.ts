import type { ProjectionDefinition } from '@steward/projections';
import { notificationsProjection } from './notifications.projection';

/** The notifications context's projections, for the projections service's catalogue. */
export const notificationReadModelProjections: readonly ProjectionDefinition[] = [notificationsProjection];
