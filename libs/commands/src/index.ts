export * from './command-error';
export * from './event-stream';
export * from './command-runner';
