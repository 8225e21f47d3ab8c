export * from './model-command.sender';
export * from './model-views.schema';
export * from './model.routes';
