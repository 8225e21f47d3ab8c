import type { EventStore } from '../event-store.port';
import type * as KurrentDbModule from './kurrentdb-event-store';

/**
 * Connects a KurrentDB-backed store. The adapter and its client library load
 * only here, on demand (the client takes a few hundred ms to load), so
 * processes on the PostgreSQL store do not pay for it.
 * `dispose()` closes the store's subscriptions and the client.
 */
export function openKurrentDbEventStore(connectionString: string): { store: EventStore; dispose(): Promise<void> } {
  // A deliberate lazy require: a static import would load the client with the package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KurrentDbEventStore, KurrentDBClient } = require('./kurrentdb-event-store') as typeof KurrentDbModule;
  const client = KurrentDBClient.connectionString(connectionString);
  const store = new KurrentDbEventStore({ client });
  return {
    store,
    async dispose() {
      await store.close();
      await client.dispose();
    },
  };
}
