export * from './usage.routes';
export * from './usage-access';
export * from './usage-query.schema';
export * from './usage-views.schema';
