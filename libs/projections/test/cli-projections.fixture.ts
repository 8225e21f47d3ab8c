/** Loaded by the CLI through STEWARD_PROJECTION_MODULES in the CLI's end-to-end test. */
import { ledgerProjection } from './projection.fixtures';

export const projections = [ledgerProjection({ name: 'cli-ledger' })];
