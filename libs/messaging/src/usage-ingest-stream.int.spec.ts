import { randomUUID } from 'node:crypto';
import { type TestEnv, createTestEnv } from '@steward/testing';
import { connectNats, type NatsClients } from './nats-connection';
import { isStreamFull, ensureUsageIngestStream, usageIngestNames } from './usage-ingest-stream';

jest.setTimeout(30_000);

describe('usage ingest stream', () => {
  let env: TestEnv;
  let nats: NatsClients;

  beforeAll(async () => {
    env = await createTestEnv();
    nats = await connectNats({ servers: env.natsUrl, name: 'usage-ingest-stream-test' });
  });

  afterAll(async () => {
    await nats?.close();
    await env?.dispose();
  });

  it('refuses publishes once the backlog is full, and drops a re-published batch id', async () => {
    const names = usageIngestNames(env.natsPrefix);
    await ensureUsageIngestStream(nats.jsm, { prefix: env.natsPrefix, maxMessages: 3 });
    // Running it again (another process starting) changes nothing and does not fail.
    await ensureUsageIngestStream(nats.jsm, { prefix: env.natsPrefix, maxMessages: 3 });
    const subject = names.workspaceSubject('ws-1');
    const first = await nats.js.publish(subject, '{"n":1}', { msgID: 'batch-1' });
    const again = await nats.js.publish(subject, '{"n":1}', { msgID: 'batch-1' });
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    await nats.js.publish(subject, '{"n":2}', { msgID: randomUUID() });
    await nats.js.publish(subject, '{"n":3}', { msgID: randomUUID() });
    const refused = await nats.js.publish(subject, '{"n":4}', { msgID: randomUUID() }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeDefined();
    expect(isStreamFull(refused)).toBe(true);
    expect(isStreamFull(new Error('timeout'))).toBe(false);
    const info = await nats.jsm.streams.info(names.stream);
    expect(info.state.messages).toBe(3);
  });

  it('turns a workspace id into one subject token', () => {
    expect(usageIngestNames('').workspaceSubject('ws_1')).toBe('usage.ingest.ws_1');
    expect(usageIngestNames('').stream).toBe('USAGE_INGEST');
  });
});
