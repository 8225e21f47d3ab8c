import type { ProjectionDefinition } from '@steward/projections';
import { jobProjection } from './job.projection';

/** The job-history context's read-side projections, for the projections service's catalogue. */
export const jobReadModelProjections: readonly ProjectionDefinition[] = [jobProjection];
