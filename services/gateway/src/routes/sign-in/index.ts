export * from './oidc-console.config';
export * from './oidc-discovery';
export * from './sign-in.routes';
