export * from './chargeback/chargeback.projection';
export { createChargebackTables } from './chargeback/chargeback.schema';
export { monthOf } from './chargeback/chargeback-batch';
export { UNPRICED_KEY, linePrices, type LinePrices } from './chargeback/line-prices';
export * from './chargeback/chargeback.repository';
export * from './chargeback/chargeback-query.error';
export * from './chargeback/chargeback-db';
export * from './chargeback/time-buckets';
export * from './read-model-projections';
