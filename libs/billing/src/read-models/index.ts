export * from './read-model-projections';
export * from './invoices';
