export * from './client.js';
export * from './reservation.js';
export * from './errors.js';
export * from './contracts.js';
export * from './backoff.js';
export * from './usage-client.js';
export * from './jobs/index.js';
export * from './api/index.js';
