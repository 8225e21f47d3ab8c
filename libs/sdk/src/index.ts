export * from './backoff';
export * from './usage-client';
