export * from './jobs.table';
export * from './job-steps.table';
export * from './job-db';
export * from './job.projection';
export * from './job-read.repository';
