export * from './usage-fields';
export * from './usage-ingest';
export * from './usage-events';
export * from './usage-commands';
export * from './usage-event.fast-parse';
export * from './genai-attributes';
