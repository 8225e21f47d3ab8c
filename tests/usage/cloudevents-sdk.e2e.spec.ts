/**
 * CloudEvents through the official JavaScript SDK (`cloudevents`), against the
 * running stack: its binary emitter (attributes in ce-* headers, what the SDKs
 * send by default) and its structured emitter, each event also sent the other
 * way and through the JSON batch route, is metered exactly once with the
 * tokens, provider and model its GenAI attributes say; binary-mode mistakes
 * are 400 / 415 problems naming the header; an Idempotency-Key covers the
 * ce-* headers.
 */
import { CloudEvent, HTTP, type Message } from 'cloudevents';
import { isCurrentId } from '@steward/contracts';
import { connectNats, type NatsClients } from '@steward/messaging';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';
import { recordedCount, waitForRecorded } from './ingest.support';

jest.setTimeout(240_000);

const TIME = '2026-04-10T10:00:00.000Z';
const RANGE = 'period=custom&from=2026-04-10T00:00:00Z&to=2026-04-11T00:00:00Z';
const SOURCE = 'sdk-agent';
const AGENT = 'sdk-e2e-agent';

interface UsageRow {
  usageId: string;
  source: string;
  agent: string;
  provider: string;
  model: string;
  tokens: { total: number; input: number; output: number; cacheRead: number; cacheCreation: number; reasoningOutput: number };
}

describe('CloudEvents SDK (binary and structured) and the JSON batch route: each call metered once', () => {
  let env: TestEnv;
  let stack: Stack;
  let nats: NatsClients;
  let client: GatewayClient;
  let workspaceId: string;
  let apiKey: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    nats = await connectNats({ servers: env.natsUrl, name: 'cloudevents-sdk-e2e' });
    client = new GatewayClient(stack.url);
    const fixtures = new Fixtures(client);
    // a workspace of its own: the chargeback totals below are this test's calls alone
    workspaceId = await fixtures.createWorkspace(stack.ownerToken, stack.organizationId, 'CloudEvents SDK');
    const key = await fixtures.issueApiKey(stack.ownerToken, workspaceId, ['usage:write'], 'sdk key');
    apiKey = key.token;
    expect(isCurrentId('workspace', workspaceId)).toBe(true);
    expect(isCurrentId('apiKey', key.id)).toBe(true);
  }, 240_000);

  afterAll(async () => {
    await nats?.close();
    await stack?.stop();
    await env?.dispose();
  });

  function llmUsage(id: string, data: Record<string, unknown>): CloudEvent<Record<string, unknown>> {
    return new CloudEvent({ specversion: '1.0', type: 'llm.usage', source: SOURCE, id, time: TIME, data });
  }

  async function send(message: Message, extraHeaders: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
    const response = await fetch(`${stack.url}/api/v1/events`, {
      method: 'POST',
      headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${apiKey}`, ...extraHeaders },
      body: message.body as string,
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  const fieldsOf = (body: string): string[] => (JSON.parse(body) as { errors?: Array<{ field: string }> }).errors?.map((error) => error.field) ?? [];

  /** The current GenAI names, cached tokens within input and reasoning within output. */
  const openAiCall = {
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.agent.name': AGENT,
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.output_tokens': 300,
    'gen_ai.usage.cache_read.input_tokens': 200,
    'gen_ai.usage.reasoning.output_tokens': 50,
    responseTimeMs: 640,
  };
  /** The older names (gen_ai.system, prompt / completion tokens): the one mapping reads them too. */
  const anthropicCall = {
    'gen_ai.system': 'anthropic',
    'gen_ai.request.model': 'claude-sonnet-4',
    'gen_ai.agent.name': AGENT,
    'gen_ai.usage.prompt_tokens': 800,
    'gen_ai.usage.completion_tokens': 120,
    responseTimeMs: 910,
  };
  /** Steward's own names: the JSON batch route's item, and a CloudEvent's data. */
  const mistralCall = { provider: 'mistral', model: 'mistral-large', agent: AGENT, inputTokens: 40, outputTokens: 10, responseTimeMs: 120 };

  it('binary, structured and batch: each call once, with its tokens, provider and model', async () => {
    // call 1: binary first, then structured and through the JSON batch route, all with the same source + id
    const one = llmUsage('call-1', openAiCall);
    const binaryOne = HTTP.binary(one);
    expect(binaryOne.headers['ce-id']).toBe('call-1');
    expect(String(binaryOne.headers['content-type'])).toMatch(/^application\/json/);
    expect((await send(binaryOne)).status).toBe(204);
    expect((await send(HTTP.structured(one))).status).toBe(204);
    await client.expect(202, 'POST', `/v1/workspaces/${workspaceId}/usage`, {
      token: apiKey,
      body: {
        events: [
          { id: 'call-1', source: SOURCE, time: TIME, agent: AGENT, provider: 'openai', model: 'gpt-4o-2024-08-06', inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 200, reasoningOutputTokens: 50, responseTimeMs: 640 },
        ],
      },
    });

    // call 2: structured first, then binary
    const two = llmUsage('call-2', anthropicCall);
    expect((await send(HTTP.structured(two))).status).toBe(204);
    expect((await send(HTTP.binary(two))).status).toBe(204);

    // call 3: the JSON batch route first, then binary with its id percent-encoded (`call%3A3`; decoded, it is the same id)
    await client.expect(202, 'POST', `/v1/workspaces/${workspaceId}/usage`, {
      token: apiKey,
      body: { events: [{ id: 'call:3', source: SOURCE, time: TIME, ...mistralCall }] },
    });
    const three = HTTP.binary(llmUsage('call:3', mistralCall));
    expect((await send({ ...three, headers: { ...three.headers, 'ce-id': encodeURIComponent('call:3') } })).status).toBe(204);

    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, workspaceId, SOURCE, 3);
    expect(await recordedCount(env.pool, workspaceId, SOURCE, 'call-1')).toBe(1);
    expect(await recordedCount(env.pool, workspaceId, SOURCE, 'call-2')).toBe(1);
    expect(await recordedCount(env.pool, workspaceId, SOURCE, 'call:3')).toBe(1);
    expect(await recordedCount(env.pool, workspaceId, SOURCE)).toBe(3);

    // what the chargeback screens show: three calls, each with its provider, model and tokens
    const events = await waitFor(
      'the three calls in the recent usage list',
      async () => {
        const page = await client.expect<{ items: UsageRow[]; total: number }>(200, 'GET', `/v1/usage/events?workspaceId=${workspaceId}&${RANGE}&pageSize=100`, {
          token: stack.ownerToken,
        });
        return page.total === 3 && page.items.length === 3 ? page.items : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const byId = Object.fromEntries(events.map((row) => [row.usageId, row]));
    expect(byId['call-1']).toMatchObject({
      agent: AGENT,
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      tokens: { total: 1500, input: 1200, output: 300, cacheRead: 200, cacheCreation: 0, reasoningOutput: 50 },
    });
    expect(byId['call-2']).toMatchObject({
      agent: AGENT,
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      tokens: { total: 920, input: 800, output: 120, cacheRead: 0, cacheCreation: 0, reasoningOutput: 0 },
    });
    expect(byId['call:3']).toMatchObject({ agent: AGENT, provider: 'mistral', model: 'mistral-large', tokens: { input: 40, output: 10 } });
    const summary = await client.expect<{ calls: number; tokens: { input: number; output: number } }>(200, 'GET', `/v1/usage/summary?workspaceId=${workspaceId}&${RANGE}`, {
      token: stack.ownerToken,
    });
    expect(summary).toMatchObject({ calls: 3, tokens: { input: 2040, output: 430 } });
  });

  it('binary mode mistakes: no ce-id is a 400 naming header.ce-id, a body that is not JSON a 415 naming header.content-type; nothing is recorded', async () => {
    const event = HTTP.binary(llmUsage('bad-1', mistralCall));
    const { 'ce-id': _id, ...withoutId } = event.headers as Record<string, string>;
    const missing = await send({ ...event, headers: withoutId });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(fieldsOf(missing.body)).toEqual(['header.ce-id']);

    const text = await send({ ...event, headers: { ...event.headers, 'content-type': 'text/plain' }, body: 'forty tokens' });
    expect(text.status).toBe(415);
    expect(fieldsOf(text.body)).toEqual(['header.content-type']);

    const badData = await send({ ...event, body: JSON.stringify({ ...mistralCall, inputTokens: -1 }) });
    expect(badData.status).toBe(400);
    expect(fieldsOf(badData.body)).toContain('body.inputTokens');

    expect(await recordedCount(env.pool, workspaceId, SOURCE, 'bad-1')).toBe(0);
  });

  it('the OpenAPI document lists the binary mode\'s ce-* headers as header parameters of POST /api/v1/events', async () => {
    const document = await client.expect<{ paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> }>(200, 'GET', '/openapi.json');
    const headers = (document.paths['/api/v1/events']?.post?.parameters ?? []).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);
    expect(headers).toEqual(expect.arrayContaining(['ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-subject', 'ce-time']));
  });

  it('binary mode keeps the tenant rules: ce-subject naming a workspace other than the key\'s is a 404, a user token without ce-subject a 400 naming it', async () => {
    const elsewhere = HTTP.binary(new CloudEvent({ type: 'llm.usage', source: SOURCE, id: 'wall-1', time: TIME, subject: stack.workspaceId, data: mistralCall }));
    const walled = await send(elsewhere);
    expect(walled.status).toBe(404);
    expect(walled.body).not.toContain(stack.workspaceId);
    const asOwner = await fetch(`${stack.url}/api/v1/events`, {
      method: 'POST',
      headers: { ...(HTTP.binary(llmUsage('wall-2', mistralCall)).headers as Record<string, string>), authorization: `Bearer ${stack.ownerToken}` },
      body: JSON.stringify(mistralCall),
    });
    expect(asOwner.status).toBe(400);
    expect(fieldsOf(await asOwner.text())).toEqual(['header.ce-subject']);
    expect(await recordedCount(env.pool, stack.workspaceId, SOURCE)).toBe(0);
  });

  it('an Idempotency-Key covers the ce-* headers: the same request is replayed, another id under the same key is a 422', async () => {
    const key = { 'idempotency-key': `sdk-${Date.now()}` };
    const first = await send(HTTP.binary(llmUsage('idem-1', mistralCall)), key);
    expect(first.status).toBe(204);
    const again = await send(HTTP.binary(llmUsage('idem-1', mistralCall)), key);
    expect(again.status).toBe(204);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // the same body, another event: the key was used for another request
    const other = await send(HTTP.binary(llmUsage('idem-2', mistralCall)), key);
    expect(other.status).toBe(422);
    await waitForRecorded(env.pool, nats.jsm, env.natsPrefix, workspaceId, SOURCE, 4);
    expect(await recordedCount(env.pool, workspaceId, SOURCE, 'idem-1')).toBe(1);
    expect(await recordedCount(env.pool, workspaceId, SOURCE, 'idem-2')).toBe(0);
  });
});
