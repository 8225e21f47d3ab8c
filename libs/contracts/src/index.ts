export * from './envelope';
export * from './registry';
export * from './command';
export * from './ids';
export * from './team';
export * from './usage';
export * from './jobs';
export * from './runtime';
