export * from './user-tokens.table';
export * from './user-token.credentials';
