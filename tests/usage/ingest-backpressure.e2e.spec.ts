/**
 * Usage ingest under backpressure, against the running stack started with a
 * tiny ingest backlog (USAGE_INGEST_MAX_MESSAGES=1): many batches at
 * once → some answered 429 with Retry-After (a problem document, nothing
 * queued); retried with the same Idempotency-Key after Retry-After they are
 * accepted; in the end every event is recorded exactly once.
 */
import { randomUUID } from 'node:crypto';
import { connectNats, usageIngestNames, type NatsClients } from '@steward/messaging';
import { type Stack, type TestEnv, createTestEnv, startStack } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';
import { recordedCount, usageItem, waitForRecorded } from './ingest.support';

jest.setTimeout(180_000);

describe('usage ingest when the backlog is full', () => {
  let env: TestEnv;
  let stack: Stack;
  let nats: NatsClients;
  let apiKey: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { env: { USAGE_INGEST_MAX_MESSAGES: '1' } });
    nats = await connectNats({ servers: env.natsUrl, name: 'usage-ingest-backpressure-e2e' });
    // the gateway and usage-metering both ensure the stream, from the same setting: whichever started last, it holds
    const info = await nats.jsm.streams.info(usageIngestNames(env.natsPrefix).stream);
    expect(info.config.max_msgs).toBe(1);
    apiKey = (await new Fixtures(new GatewayClient(stack.url)).issueApiKey(stack.ownerToken, stack.workspaceId, ['usage:write'], 'agent key')).token;
  }, 180_000);

  afterAll(async () => {
    await nats?.close();
    await stack?.stop();
    await env?.dispose();
  });

  it('429 with Retry-After past the limit; the same requests retried are accepted; every event recorded once', async () => {
    const source = `backpressure-${randomUUID()}`;
    const requests = Array.from({ length: 16 }, (_, batch) => ({
      key: `${source}-${batch}`,
      body: JSON.stringify({ events: Array.from({ length: 500 }, (_, index) => usageItem(`b${batch}-${index}`, source)) }),
    }));
    const post = async (request: { key: string; body: string }) => {
      const response = await fetch(`${stack.url}/v1/workspaces/${stack.workspaceId}/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': request.key },
        body: request.body,
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), contentType: response.headers.get('content-type'), body: await response.text() };
    };

    const first = await Promise.all(requests.map(post));
    const refused = first.filter((answer) => answer.status === 429);
    expect(first.every((answer) => answer.status === 202 || answer.status === 429)).toBe(true);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 429 });
    }

    // what a client does: wait Retry-After, send the same request again, until accepted
    let pending = requests.filter((_, index) => first[index]?.status === 429);
    for (let round = 0; pending.length > 0 && round < 60; round++) {
      const answers = [];
      for (const request of pending) answers.push({ request, answer: await post(request) });
      const wait = Math.max(0, ...answers.filter(({ answer }) => answer.status === 429).map(({ answer }) => Number(answer.retryAfter)));
      for (const { answer } of answers) expect([202, 429]).toContain(answer.status);
      pending = answers.filter(({ answer }) => answer.status === 429).map(({ request }) => request);
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
    expect(pending).toEqual([]);

    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, stack.workspaceId, source, 16 * 500);
    expect(await recordedCount(env.pool, stack.workspaceId, source)).toBe(16 * 500);
  });
});
