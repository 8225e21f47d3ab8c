export * from './job-fields';
export * from './job-streams';
export * from './job-events';
export * from './job-commands';
export * from './job-errors';
