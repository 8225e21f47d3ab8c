export * from './budget-fields';
export * from './budget-streams';
export * from './budget-events';
export * from './budget-commands';
