export * from './steward.authenticator';
export * from './steward.authorizer';
export * from './credential.cache';
