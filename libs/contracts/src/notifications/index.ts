export * from './notification-fields';
export * from './notification-streams';
export * from './notification-events';
export * from './notification-commands';
export * from './notification-errors';
