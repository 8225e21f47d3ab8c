export * from './runtime-fields';
export * from './runtime-guides';
export * from './runtime-providers';
export * from './runtime-streams';
export * from './runtime-events';
export * from './runtime-commands';
export * from './runtime-errors';
