export * from './config';
export * from './processes';
