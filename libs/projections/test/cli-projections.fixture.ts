/** Loaded by the CLI through STEWARD_PROJECTION_MODULES in the CLI's end-to-end test. */
import { eventCountsProjection } from '@steward/projections';
import { ledgerProjection } from './projection.fixtures';

export const projections = [eventCountsProjection, ledgerProjection({ name: 'cli-ledger' })];
