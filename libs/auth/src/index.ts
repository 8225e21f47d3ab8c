export * from './auth.error';
export * from './principal';
export * from './permissions';
export * from './api-key';
export * from './user-token';
export * from './credentials';
export * from './oidc';
export * from './permission-table';
