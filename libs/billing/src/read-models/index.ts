export * from './billing-db';
export * from './billing.projection';
export * from './billing-read.repository';
export * from './read-model-projections';
export * from './invoices';
export * from './ledger-csv';
