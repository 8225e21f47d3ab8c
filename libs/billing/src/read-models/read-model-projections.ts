import type { ProjectionDefinition } from '@steward/projections';

/** The billing context's projections, for the projections service's catalogue. */
export const billingReadModelProjections: readonly ProjectionDefinition[] = [];
