export * from './backoff';
export * from './usage-client';
export * from './jobs';
export * from './api';
