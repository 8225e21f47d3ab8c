import { describeEventStoreContract } from '../testing/event-store.contract';
import { openKurrentDbEventStore } from './open-kurrentdb-event-store';

/**
 * The same contract as PostgreSQL, against a real KurrentDB server. There is
 * none on a developer machine by default: set KURRENTDB_URL (for example
 * `kurrentdb://127.0.0.1:2113?tls=false`) to run it; otherwise the suite is
 * reported as skipped, by name.
 */
const url = process.env.KURRENTDB_URL;

if (!url) {
  console.warn('KurrentDB event store contract skipped: set KURRENTDB_URL to run it against a KurrentDB server');
}

(url ? describe : describe.skip)('KurrentDB event store contract (skipped: set KURRENTDB_URL to run)', () => {
  describeEventStoreContract('KurrentDB event store contract', async () => openKurrentDbEventStore(url!));
});
