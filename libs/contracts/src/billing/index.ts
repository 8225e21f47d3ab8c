export * from './billing-fields';
export * from './billing-streams';
export * from './account';
export * from './credits';
export * from './commands';
export * from './invoices';
