export * from './user-token.store';
export * from './steward.authenticator';
export * from './steward.authorizer';
