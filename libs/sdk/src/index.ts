export * from './backoff';
export * from './usage-client';
export * from './jobs';
