import type { ProjectionDefinition } from '@steward/projections';
import { chargebackProjection } from './chargeback/chargeback.projection';
import { modelSettingsProjection } from './model-settings/model-settings.projection';

/** The usage context's read-side projections, for the projections service's catalogue. */
export const usageReadModelProjections: readonly ProjectionDefinition[] = [chargebackProjection, modelSettingsProjection];
