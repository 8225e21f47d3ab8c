export * from './jobs.table';
export * from './job-steps.table';
export * from './job-counts.table';
export * from './job-db';
export * from './job-cursor';
export * from './job-count-range';
export * from './job.projection';
export * from './job-read.repository';
