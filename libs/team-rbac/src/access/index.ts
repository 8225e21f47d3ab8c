export * from './team-access';
export * from './team-access.error';
export * from './team-credentials.repository';
export * from './workspace-organizations';
