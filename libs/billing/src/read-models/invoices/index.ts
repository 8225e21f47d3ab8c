export * from './invoices.table';
export * from './invoices.projection';
export * from './invoice-read.repository';
