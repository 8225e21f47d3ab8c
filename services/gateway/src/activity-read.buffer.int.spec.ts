/**
 * ActivityReadBuffer against real NATS JetStream: reads are published in
 * rounds, as batch messages, each read exactly once in the stream; a round that cannot be published
 * (no stream yet) is retried until it is acknowledged.
 */
import { randomUUID } from 'node:crypto';
import { connectNats, type NatsClients } from '@steward/messaging';
import type { Logger } from '@steward/observability';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { activityStreamName, decodeResourceReads, ensureActivityStream, type ResourceReadInput } from '@steward/team-rbac';
import { ActivityReadBuffer } from './activity-read.buffer';

jest.setTimeout(30_000);

const read = (i: number): ResourceReadInput => ({
  organizationId: 'org-1',
  actor: { type: 'user', id: 'u-1' },
  resourceType: 'member',
  action: 'fetch_all',
  outcome: 'success',
  workspaceId: `ws-${i}`,
});

describe('ActivityReadBuffer', () => {
  let env: TestEnv;
  let nats: NatsClients;

  beforeAll(async () => {
    env = await createTestEnv();
    nats = await connectNats({ servers: env.natsUrl, name: 'activity-buffer-test' });
  });

  afterAll(async () => {
    await nats?.close();
    await env?.dispose();
  });

  const messages = async (): Promise<number> => (await nats.jsm.streams.info(activityStreamName(env.natsPrefix))).state.messages;

  it('publishes what was recorded, without the caller waiting, retrying until the stream takes it, once each', async () => {
    let failedRounds = 0;
    const logger = { warn: (_fields: unknown, message: string) => (failedRounds += message.startsWith('activity reads not acknowledged') ? 1 : 0) } as unknown as Logger;
    const buffer = new ActivityReadBuffer({ nc: nats.nc, natsPrefix: env.natsPrefix, retryDelayMs: 50, logger });
    // no stream yet: the publishes fail and the read stays held (waiting or being published again)
    const first = buffer.record(read(0));
    expect(first).toMatchObject({ type: 'ResourceRead', resourceType: 'member', action: 'fetch_all' });
    await waitFor('two failed rounds', async () => (failedRounds >= 2 ? true : undefined));
    expect(buffer.size).toBe(1);

    await ensureActivityStream(nats.jsm, env.natsPrefix);
    for (let i = 1; i < 250; i++) buffer.record(read(i));
    await waitFor('every read published', async () => (buffer.size === 0 ? true : undefined));
    // batched: far fewer messages than reads, and every read in them exactly once
    const count = await messages();
    expect(count).toBeLessThan(50);
    const ids: string[] = [];
    const consumer = await nats.js.consumers.get(activityStreamName(env.natsPrefix));
    let seen = 0;
    for await (const message of await consumer.fetch({ max_messages: count, expires: 2_000 })) {
      const decoded = decodeResourceReads(message.json());
      if (!decoded.ok) throw new Error(`undecodable message: ${decoded.field}`);
      ids.push(...decoded.reads.map((entry) => entry.id));
      if (++seen === count) break;
    }
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toContain((first as { id: string }).id);
    await buffer.close();
  });

  it('refuses an invalid read without throwing; close() publishes what is left', async () => {
    await ensureActivityStream(nats.jsm, env.natsPrefix);
    const before = await messages();
    const buffer = new ActivityReadBuffer({ nc: nats.nc, natsPrefix: env.natsPrefix, flushIntervalMs: 60_000 });
    expect(buffer.record({ ...read(1), resourceType: 'Not A Type' })).toBeUndefined();
    buffer.record({ ...read(2), id: randomUUID() });
    expect(buffer.size).toBe(1);
    await buffer.close();
    expect(buffer.size).toBe(0);
    expect(await messages()).toBe(before + 1);
  });

  it('gives a read recorded again its own id and time, and still refuses an invalid one after valid ones', async () => {
    await ensureActivityStream(nats.jsm, env.natsPrefix);
    const buffer = new ActivityReadBuffer({ nc: nats.nc, natsPrefix: env.natsPrefix, flushIntervalMs: 60_000 });
    const entries = [buffer.record(read(7)), buffer.record(read(7)), buffer.record(read(7))];
    expect(new Set(entries.map((entry) => entry?.id)).size).toBe(3);
    for (const entry of entries) {
      expect(entry).toEqual({ ...read(7), type: 'ResourceRead', id: expect.any(String), occurredAt: expect.any(String) });
      expect(Date.parse(entry?.occurredAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    }
    expect(buffer.record({ ...read(7), action: 'fetch_everything' as 'fetch' })).toBeUndefined();
    expect(buffer.record({ ...read(7), workspaceId: 'not an id' })).toBeUndefined();
    expect(buffer.size).toBe(3);
    await buffer.close();
  });

  it('publishes again a read whose ack does not come within ackTimeoutMs', async () => {
    const prefix = `${env.natsPrefix}t`;
    // a plain subscriber that never answers: no "no responders", no ack either
    let seen = 0;
    const silent = nats.nc.subscribe(`${prefix}.activity.reads`, {
      callback: () => {
        seen += 1;
      },
    });
    const buffer = new ActivityReadBuffer({ nc: nats.nc, natsPrefix: prefix, ackTimeoutMs: 100, retryDelayMs: 50 });
    buffer.record(read(7));
    await waitFor('the read published again after a round without ack', async () => (seen >= 2 ? true : undefined));
    await ensureActivityStream(nats.jsm, prefix);
    silent.unsubscribe();
    await waitFor('the read in the stream', async () => ((await nats.jsm.streams.info(activityStreamName(prefix))).state.messages === 1 ? true : undefined));
    await waitFor('nothing left', async () => (buffer.size === 0 ? true : undefined));
    await buffer.close();
    await nats.jsm.streams.delete(activityStreamName(prefix));
  });

  it('holds at most maxBuffered reads, dropping the oldest', () => {
    const buffer = new ActivityReadBuffer({ nc: nats.nc, natsPrefix: `${env.natsPrefix}x`, maxBuffered: 3, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) buffer.record(read(i));
    expect(buffer.size).toBe(3);
  });
});
