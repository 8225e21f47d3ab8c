export * from './notifications.tables';
export * from './notifications.projection';
export * from './notification-read.repository';
export * from './read-model-projections';
