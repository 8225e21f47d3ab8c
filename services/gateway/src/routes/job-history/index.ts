export * from './job-command.sender';
export * from './job-views.schema';
export * from './jobs.routes';
