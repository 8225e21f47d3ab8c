export * from './projection-progress';
export * from './read-your-writes';
export * from './replica-sync';
