export * from './job-client';
