export * from './model-settings.projection';
export * from './model-settings.repository';
export * from './model-settings-db';
export * from './model-settings.table';
export * from './model-prices.table';
