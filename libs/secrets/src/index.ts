export * from './secrets.error';
export * from './secret-mask';
export * from './master-key';
export * from './envelope-cipher';
export * from './secret.store';
export * from './secrets.cli';
