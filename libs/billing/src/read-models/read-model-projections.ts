import type { ProjectionDefinition } from '@steward/projections';
import { billingProjection } from './billing.projection';
import { invoicesProjection } from './invoices/invoices.projection';

/** The billing context's projections, for the projections service's catalogue. */
export const billingReadModelProjections: readonly ProjectionDefinition[] = [billingProjection, invoicesProjection];
