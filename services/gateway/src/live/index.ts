export * from './live-event.hub';
export * from './live-message';
export * from './live-stream';
export * from './live.routes';
export * from './stream-ticket';
