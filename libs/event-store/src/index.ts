export * from './event-store.port';
export * from './event-store.tracing';
export * from './event-store.validation';
export * from './postgres/postgres-event-store';
export { PostgresNotifier } from './postgres/postgres-notifier';
export { PostgresSubscription } from './postgres/postgres-subscription';
export { likePrefixPattern, notifyChannel, MIGRATIONS as POSTGRES_EVENT_STORE_MIGRATIONS } from './postgres/postgres-sql';
// KurrentDB: types here, the implementation loads on demand (its client is heavy).
export type { KurrentDbEventStore, KurrentDbEventStoreOptions } from './kurrentdb/kurrentdb-event-store';
export { openKurrentDbEventStore } from './kurrentdb/open-kurrentdb-event-store';
