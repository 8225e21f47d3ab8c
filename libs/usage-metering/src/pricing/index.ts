export * from './cost';
export * from './price-catalogue';
export * from './price-lookup';
