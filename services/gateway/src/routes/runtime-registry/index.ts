export * from './runtime.routes';
export * from './runtime-command.sender';
export * from './runtime-views.schema';
