export * from './notification.routes';
export * from './notification-command.sender';
export * from './notification-views.schema';
