export * from './decider-spec';
export * from './services';
export * from './test-env';
export * from './wait-for';
export * from './stack';
export * from './cli';
export * from './round-robin';
export * from './nats-cluster';
