/**
 * Usage ingest end to end, against the running stack (gateway, usage-metering, …):
 * - the same call sent five times through the three paths (HTTP batch,
 *   CloudEvents, a NATS publish) and again later is recorded once;
 * - a 202 means durable: a gateway killed with SIGKILL right after answering
 *   loses nothing;
 * - the CloudEvents route's tenant wall (subject = another workspace → 404)
 *   and its mapping of the GenAI names, as metering records them.
 */
import { randomUUID } from 'node:crypto';
import { connectNats, usageIngestNames, type NatsClients } from '@steward/messaging';
import { type Stack, type TestEnv, createTestEnv, startStack } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';
import { ingestBacklog, recordedCount, startOwnGateway, usageItem, waitForRecorded } from './ingest.support';

jest.setTimeout(180_000);

describe('usage ingest, end to end', () => {
  let env: TestEnv;
  let stack: Stack;
  let nats: NatsClients;
  let client: GatewayClient;
  let apiKey: string;
  let otherWorkspace: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    nats = await connectNats({ servers: env.natsUrl, name: 'usage-ingest-e2e' });
    client = new GatewayClient(stack.url);
    const fixtures = new Fixtures(client);
    apiKey = (await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['usage:write'], 'agent key')).token;
    otherWorkspace = await fixtures.createWorkspace(stack.ownerToken, stack.organizationId, 'Other workspace');
  }, 180_000);

  afterAll(async () => {
    await nats?.close();
    await stack?.stop();
    await env?.dispose();
  });

  async function sendCloudEvent(body: unknown, contentType = 'application/cloudevents+json', token = apiKey) {
    const response = await fetch(`${stack.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: JSON.stringify(body),
    });
    return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
  }

  it('the same call sent five times through the three paths, and again later, is recorded once', async () => {
    const source = `dedup-${randomUUID()}`;
    const item = usageItem('call-1', source, '2026-11-21T10:15:00Z');
    const path = `/v1/workspaces/${stack.workspaceId}/usage`;

    // 1, 2: the HTTP batch, once with an Idempotency-Key, once without
    const first = await client.expect<{ accepted: number; rejected: number }>(202, 'POST', path, {
      token: apiKey,
      body: { events: [item] },
      headers: { 'idempotency-key': `first-${source}` },
    });
    expect(first).toMatchObject({ accepted: 1, rejected: 0 });
    // the same request again with its key: the first answer, replayed (the same batch id)
    const replay = await client.call('POST', path, { token: apiKey, body: { events: [item] }, headers: { 'idempotency-key': `first-${source}` } });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first);
    await client.expect(202, 'POST', path, { token: apiKey, body: { events: [item] } });
    // 3: a CloudEvent in Steward's names; 4: a batch of one in the GenAI names
    const { id, source: ceSource, time, ...data } = item;
    expect(await sendCloudEvent({ specversion: '1.0', type: 'llm.usage', id, source: ceSource, time, data })).toMatchObject({ status: 204 });
    const genAi = {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.agent.name': 'e2e-agent',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 200,
      responseTimeMs: 640,
    };
    expect(
      await sendCloudEvent([{ specversion: '1.0', type: 'llm.usage', id, source: ceSource, time, subject: stack.workspaceId, data: genAi }], 'application/cloudevents-batch+json'),
    ).toMatchObject({ status: 204 });
    // 5: an internal agent's batch on NATS
    const names = usageIngestNames(env.natsPrefix);
    await nats.js.publish(
      names.workspaceSubject(stack.workspaceId),
      JSON.stringify({ batchId: `nats-${source}`, workspaceId: stack.workspaceId, receivedAt: new Date().toISOString(), via: 'nats', events: [item] }),
      { msgID: `nats-${source}` },
    );

    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, stack.workspaceId, source, 1);
    expect(await recordedCount(env.pool, stack.workspaceId, source, 'call-1')).toBe(1);

    // again, later, with a marker call behind it: the marker is recorded, the call still once
    await client.expect(202, 'POST', path, { token: apiKey, body: { events: [item, usageItem('marker', source)] } });
    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, stack.workspaceId, source, 2);
    expect(await recordedCount(env.pool, stack.workspaceId, source, 'call-1')).toBe(1);
    expect(await recordedCount(env.pool, stack.workspaceId, source)).toBe(2);
  });

  it('a partly invalid batch: the valid events are recorded, the invalid ones listed by index; none valid → 400', async () => {
    const source = `partial-${randomUUID()}`;
    const path = `/v1/workspaces/${stack.workspaceId}/usage`;
    const answer = await client.expect<{ accepted: number; rejected: number; errors: Array<{ index: number; field: string }> }>(202, 'POST', path, {
      token: apiKey,
      body: { events: [usageItem('ok-1', source), { ...usageItem('bad', source), inputTokens: -5 }, usageItem('ok-2', source)] },
    });
    expect(answer).toMatchObject({ accepted: 2, rejected: 1 });
    expect(answer.errors).toEqual(expect.arrayContaining([expect.objectContaining({ index: 1, field: 'body.events.1.inputTokens' })]));
    expect(answer.errors.every((error) => error.index === 1)).toBe(true);
    const refused = await client.call('POST', path, { token: apiKey, body: { events: [{ ...usageItem('bad', source), model: '' }] } });
    expect(refused.status).toBe(400);
    expect((refused.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain('body.events.0.model');
    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, stack.workspaceId, source, 2);
    expect(await recordedCount(env.pool, stack.workspaceId, source)).toBe(2);
  });

  it('CloudEvents: subject naming another workspace (or none that exists) is a 404 problem and nothing is queued; another type is a 400 naming type', async () => {
    const source = `wall-${randomUUID()}`;
    const event = { specversion: '1.0', type: 'llm.usage', id: 'c', source, data: { provider: 'openai', model: 'gpt-4o' } };
    const before = await ingestBacklog(nats.jsm, env.natsPrefix);
    for (const subject of [otherWorkspace, 'ws_does_not_exist']) {
      const answer = await sendCloudEvent({ ...event, subject });
      expect({ subject, status: answer.status, contentType: answer.contentType }).toEqual({ subject, status: 404, contentType: expect.stringMatching(/^application\/problem\+json/) });
      expect(answer.text).not.toContain('Other workspace');
    }
    const wrongType = await sendCloudEvent({ ...event, type: 'com.example.request' });
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.text).errors.map((error: { field: string }) => error.field)).toContain('body.type');
    expect(await ingestBacklog(nats.jsm, env.natsPrefix)).toBeLessThanOrEqual(before);
    expect(await recordedCount(env.pool, otherWorkspace, source)).toBe(0);
  });

  it('a 202 is durable: the gateway killed with SIGKILL right after answering, the events are recorded', async () => {
    const own = await startOwnGateway(stack);
    const source = `durable-${randomUUID()}`;
    const events = Array.from({ length: 2000 }, (_, index) => usageItem(`d-${index}`, source));
    const response = await fetch(`${own.url}/v1/workspaces/${stack.workspaceId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    const answer = await response.json();
    own.process.kill('SIGKILL');
    expect(response.status).toBe(202);
    expect(answer).toMatchObject({ accepted: 2000, rejected: 0 });
    await new Promise((resolve) => own.process.once('exit', resolve));
    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, stack.workspaceId, source, 2000);
    expect(await recordedCount(env.pool, stack.workspaceId, source)).toBe(2000);
  });
});
