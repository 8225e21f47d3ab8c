/** Loaded by the CLI through STEWARD_PROJECTION_MODULES in the CLI's end-to-end test. */
import { eventCountsProjection } from '../src';
import { ledgerProjection } from './projection.fixtures';

/** `cli-poison` refuses its `Poison` events until the test "fixes" it with STEWARD_TEST_POISON_FIXED=1. */
export const projections = [
  eventCountsProjection,
  ledgerProjection({ name: 'cli-ledger' }),
  ledgerProjection({ name: 'cli-poison', poison: { active: process.env.STEWARD_TEST_POISON_FIXED !== '1' } }),
];
