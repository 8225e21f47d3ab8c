import type { ProjectionDefinition } from '@steward/projections';
import { chargebackProjection } from './chargeback/chargeback.projection';

/** The usage context's read-side projections, for the projections service's catalogue. */
export const usageReadModelProjections: readonly ProjectionDefinition[] = [chargebackProjection];

/** For STEWARD_PROJECTION_MODULES (tests and tools that load projections at run time). */
export const projections = usageReadModelProjections;
