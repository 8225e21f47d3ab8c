export * from './job-client.js';
