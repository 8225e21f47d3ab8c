export * from './cost';
export * from './price-catalogue';
export * from './price-lookup';
export * from './per-million';
export * from './catalogue-listing';
