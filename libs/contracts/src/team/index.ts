export * from './roles';
export * from './team-fields';
export * from './team-streams';
export * from './team-events';
export * from './team-commands';
export * from './team-errors';
export * from './announcements';
