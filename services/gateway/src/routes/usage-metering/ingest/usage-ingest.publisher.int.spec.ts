import type { JetStreamManager } from '@nats-io/jetstream';
import { UsageEventSchema, UsageIngestBatchSchema } from '@steward/contracts';
import { connectNats, ensureUsageIngestStream, usageIngestNames, type NatsClients } from '@steward/messaging';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { GatewayError, GatewayErrorCode } from '../../../gateway.error';
import { UsageIngestPublisher, batchIdFor } from './usage-ingest.publisher';

function events(count: number, from = 0) {
  return Array.from({ length: count }, (_, index) =>
    UsageEventSchema.parse({ id: `call-${from + index}`, source: 'int', time: '2026-11-22T00:00:00Z', provider: 'openai', model: 'gpt-4o', inputTokens: 100, outputTokens: 20 }),
  );
}

async function storedBatches(jsm: JetStreamManager, stream: string) {
  const info = await jsm.streams.info(stream);
  const messages = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (message) messages.push({ id: message.header?.get('Nats-Msg-Id'), batch: UsageIngestBatchSchema.parse(message.json()) });
  }
  return messages;
}

describe('UsageIngestPublisher on the real JetStream', () => {
  let env: TestEnv;
  let nats: NatsClients;

  beforeAll(async () => {
    env = await createTestEnv();
    nats = await connectNats({ servers: env.natsUrl, name: 'usage-ingest-publisher-int' });
  });

  afterAll(async () => {
    await nats?.close();
    await env?.dispose();
  });

  it('one batch is one message; a large one is cut into parts that are each a valid batch; a re-publish is dropped as a duplicate', async () => {
    const prefix = `${env.natsPrefix}a.`;
    await ensureUsageIngestStream(nats.jsm, { prefix });
    const names = usageIngestNames(prefix);
    const publisher = new UsageIngestPublisher({ nc: nats.nc, js: nats.js, natsPrefix: prefix, maxMessageBytes: 40_000 });
    const batch = { workspaceId: 'ws_a', organizationId: 'org_a', receivedAt: new Date().toISOString(), via: 'http' as const, actor: 'api_key:k1' };
    const small = await publisher.publish({ ...batch, batchId: 'small', events: events(3) });
    expect(small).toEqual(['small']);
    const big = events(1000, 100);
    const ids = await publisher.publish({ ...batch, batchId: 'big', events: big });
    expect(ids.length).toBeGreaterThan(1);
    // the same request again (a retry): the same parts, dropped by JetStream
    expect(await publisher.publish({ ...batch, batchId: 'big', events: big })).toEqual(ids);

    const stored = await storedBatches(nats.jsm, names.stream);
    expect(stored.map((message) => message.id)).toEqual(['small', ...ids]);
    const carried = stored.filter((message) => message.id !== 'small').flatMap((message) => message.batch.events.map((event) => event.id));
    expect(carried).toEqual(big.map((event) => event.id));
    expect(stored[1]?.batch).toMatchObject({ batchId: ids[0], workspaceId: 'ws_a', organizationId: 'org_a', via: 'http', actor: 'api_key:k1' });
  });

  it('a full backlog is a 429 with Retry-After; a missing stream (nothing answers) is a 503 with Retry-After', async () => {
    const prefix = `${env.natsPrefix}b.`;
    await ensureUsageIngestStream(nats.jsm, { prefix, maxMessages: 2 });
    const publisher = new UsageIngestPublisher({ nc: nats.nc, js: nats.js, natsPrefix: prefix, ackTimeoutMs: 1_000 });
    const batch = { workspaceId: 'ws_b', organizationId: undefined, receivedAt: new Date().toISOString(), via: 'http' as const, actor: undefined };
    await publisher.publish({ ...batch, batchId: 'one', events: events(1) });
    await publisher.publish({ ...batch, batchId: 'two', events: events(1, 1) });
    const full = await publisher.publish({ ...batch, batchId: 'three', events: events(1, 2) }).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(GatewayError);
    expect(full).toMatchObject({ code: GatewayErrorCode.RateLimited, retryAfterSeconds: 2 });

    const nowhere = new UsageIngestPublisher({ nc: nats.nc, js: nats.js, natsPrefix: `${env.natsPrefix}none.`, ackTimeoutMs: 500 });
    const unavailable = await nowhere.publish({ ...batch, batchId: 'x', events: events(1) }).catch((error: unknown) => error);
    expect(unavailable).toMatchObject({ code: GatewayErrorCode.Unavailable, retryAfterSeconds: 2 });
  });

  it('batch ids: the same principal, route and Idempotency-Key give the same id; without a key every request its own', () => {
    expect(batchIdFor('api_key:k1', 'usage:ws', 'key-1')).toBe(batchIdFor('api_key:k1', 'usage:ws', 'key-1'));
    expect(batchIdFor('api_key:k1', 'usage:ws', 'key-1')).not.toBe(batchIdFor('api_key:k2', 'usage:ws', 'key-1'));
    expect(batchIdFor('api_key:k1', 'usage:ws', undefined)).not.toBe(batchIdFor('api_key:k1', 'usage:ws', undefined));
  });
});
