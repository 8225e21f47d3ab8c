/** The gateway's routes, one folder per bounded context; each translates HTTP to that context's commands and queries. */
export * from './billing';
export * from './budgets';
export * from './caller';
export * from './job-history';
export * from './notifications';
export * from './runtime-registry';
export * from './sign-in';
export * from './team-rbac';
export * from './usage-metering';
export * from './billing';
