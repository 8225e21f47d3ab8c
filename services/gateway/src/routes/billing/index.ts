export * from './invoice.routes';
export * from './invoice-command.sender';
export * from './invoice-views.schema';
