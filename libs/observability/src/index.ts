export * from './telemetry';
export * from './tracing';
export * from './logger';
export * from './ops-server';
export * from './service-process';
