export * from './usage.routes';
export * from './usage-access';
export * from './usage-query.schema';
export * from './usage-views.schema';
export * from './model-command.sender';
export * from './model-views.schema';
export * from './model.routes';
export * from './ingest';
