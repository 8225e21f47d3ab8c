export * from './cloudevents.mapping';
export * from './usage-ingest.publisher';
export * from './usage-ingest.routes';
export * from './usage-items.validation';
export * from './usage-ingest.config';
