import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { EventStoreError, EventStoreErrorCode } from '../event-store.port';
import { KurrentDbEventStore } from './kurrentdb-event-store';

describe('KurrentDB appendNew', () => {
  it('is refused as not supported, before any I/O: KurrentDB cannot dedup by id across streams in the transaction of the write', async () => {
    // A client to a server that is never contacted.
    const client = KurrentDBClient.connectionString`kurrentdb://127.0.0.1:1?tls=false`;
    const store = new KurrentDbEventStore({ client });
    try {
      const refusal = await store
        .appendNew([{ streamId: 'usage-1', events: [] }])
        .then(() => undefined, (error: unknown) => error);
      expect(refusal).toBeInstanceOf(EventStoreError);
      expect((refusal as EventStoreError).code).toBe(EventStoreErrorCode.NotSupported);
    } finally {
      await client.dispose();
    }
  });
});
