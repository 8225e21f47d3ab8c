export * from './services';
export * from './test-env';
