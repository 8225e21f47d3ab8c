export * from './chargeback/chargeback.projection';
export * from './chargeback/chargeback.repository';
export * from './chargeback/usage-statement';
export * from './chargeback/chargeback-query.error';
export * from './chargeback/chargeback-db';
export * from './chargeback/time-buckets';
export * from './read-model-projections';
