export * from './infrastructure-status';
export * from './ops.routes';
export * from './platform-admins';
export * from './queue-inspector';
