/**
 * OTLP/HTTP trace ingest against the whole stack: spans made by the real
 * OpenTelemetry JS SDK (@opentelemetry/sdk-trace-base) for an agent run —
 * invoke_agent, chat, execute_tool, chat — sent by the SDK's OTLP HTTP exporter
 * (JSON, gzip) and as protobuf (plain and gzip, the SDK's own serializer),
 * become the job, its steps and a usage batch on JetStream; a re-sent trace
 * changes nothing and is metered once.
 */
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Subscription } from '@nats-io/nats-core';
import { UsageIngestBatchSchema, type UsageIngestBatch } from '@steward/contracts';
import { connectNats, usageIngestNames } from '@steward/messaging';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(150_000);

interface JobDetail {
  jobId: string;
  agent: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  summary: string | null;
  input: string | null;
  steps: Array<{ stepId: string; type: string; content: string | null; toolName: string | null; toolStatus: string | null; parameters: unknown; result: unknown; durationMs: number | null }>;
}

const messages = (role: string, text: string) => JSON.stringify([{ role, parts: [{ type: 'text', content: text }] }]);

/** One agent run as an instrumented agent would record it. */
function agentRun(tracer: ReturnType<BasicTracerProvider['getTracer']>, options: { agent: string; question: string; fail?: boolean }): { agent: Span } {
  const t0 = Date.now() - 10_000;
  const agent = tracer.startSpan(
    `invoke_agent ${options.agent}`,
    { kind: SpanKind.CLIENT, startTime: t0, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': options.agent, 'gen_ai.agent.id': `${options.agent}-v1`, 'gen_ai.input.messages': messages('user', options.question) } },
    ROOT_CONTEXT,
  );
  const inside = trace.setSpan(ROOT_CONTEXT, agent);
  const chat1 = tracer.startSpan(
    'chat gpt-4o',
    {
      startTime: t0 + 100,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.input.messages': messages('user', options.question),
        'gen_ai.output.messages': messages('assistant', 'Let me search flights.'),
      },
    },
    inside,
  );
  chat1.end(t0 + 900);
  const tool = tracer.startSpan(
    'execute_tool search_flights',
    {
      startTime: t0 + 1_000,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'search_flights',
        'gen_ai.tool.call.arguments': JSON.stringify({ to: 'OSL' }),
        'gen_ai.tool.call.result': JSON.stringify({ flights: ['SK1470'] }),
      },
    },
    inside,
  );
  tool.end(t0 + 1_450);
  const chat2 = tracer.startSpan(
    'chat gpt-4o',
    {
      startTime: t0 + 1_500,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1500,
        'gen_ai.usage.output_tokens': 40,
        'gen_ai.output.messages': messages('assistant', 'SK1470 leaves at 07:05.'),
        ...(options.fail ? { 'error.type': 'RateLimitError' } : {}),
      },
    },
    inside,
  );
  if (options.fail) chat2.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  chat2.end(t0 + 2_000);
  if (options.fail) agent.setStatus({ code: SpanStatusCode.ERROR, message: 'the model refused' });
  agent.end(t0 + 2_100);
  return { agent };
}

describe('OTLP/HTTP trace ingest (GenAI conventions)', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let key: string;
  let nats: Awaited<ReturnType<typeof connectNats>>;
  let subscription: Subscription;
  const batches: UsageIngestBatch[] = [];
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'travel-agent-svc' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('e2e-agent');

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    key = (await new Fixtures(client).issueApiKey(stack.ownerToken, stack.workspaceId, ['jobs:write', 'usage:write', 'read'], 'otel agent')).token;
    nats = await connectNats({ servers: env.natsUrl, name: 'otlp-e2e' });
    // every usage batch published for the workspace (a plain subscription sees each publish, duplicates included)
    subscription = nats.nc.subscribe(usageIngestNames(env.natsPrefix).workspaceSubject(stack.workspaceId));
    void (async () => {
      for await (const message of subscription) batches.push(UsageIngestBatchSchema.parse(message.json()));
    })();
  }, 150_000);

  afterAll(async () => {
    subscription?.unsubscribe();
    await nats?.close();
    await provider.shutdown();
    await stack?.stop();
    await env?.dispose();
  });

  const post = async (body: Uint8Array | string, headers: Record<string, string>) => {
    const response = await fetch(`${stack.url}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body });
    return { status: response.status, type: response.headers.get('content-type') ?? '', bytes: new Uint8Array(await response.arrayBuffer()) };
  };

  async function detail(jobId: string, until: (job: JobDetail) => boolean): Promise<JobDetail> {
    return waitFor(`job ${jobId}`, async () => {
      const answer = await client.call('GET', `/v1/workspaces/${stack.workspaceId}/jobs/${jobId}`, { token: key });
      return answer.status === 200 && until(answer.body as JobDetail) ? (answer.body as JobDetail) : undefined;
    });
  }

  async function calls(): Promise<number> {
    const summary = await client.expect<{ calls: number }>(200, 'GET', `/v1/usage/summary?workspaceId=${stack.workspaceId}&period=7d`, { token: stack.ownerToken });
    return summary.calls;
  }

  let first: ReadableSpan[];
  let jobId: string;

  it('the SDK exporter (JSON, gzip): the invoke_agent span is a job with its steps in order, the chat spans a usage batch', async () => {
    const { agent } = agentRun(tracer, { agent: 'travel-planner', question: 'Find me a flight to Oslo' });
    first = memory.getFinishedSpans();
    memory.reset();
    expect(first).toHaveLength(4);
    const exporter = new OTLPTraceExporter({ url: `${stack.url}/v1/traces`, headers: { authorization: `Bearer ${key}` }, compression: CompressionAlgorithm.GZIP });
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(first, resolve));
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    await exporter.shutdown();

    jobId = `otel-${agent.spanContext().traceId}-${agent.spanContext().spanId}`;
    const job = await detail(jobId, (candidate) => candidate.status === 'success' && candidate.steps.length === 5);
    expect(job).toMatchObject({ agent: 'travel-planner', status: 'success', input: 'Find me a flight to Oslo', summary: null });
    expect(Date.parse(job.endedAt!) - Date.parse(job.startedAt)).toBe(2_100);
    expect(job.steps.map((step) => [step.type, step.toolName, step.content])).toEqual([
      ['user_message', null, 'Find me a flight to Oslo'],
      ['assistant_response', null, 'Let me search flights.'],
      ['tool_call', 'search_flights', null],
      ['tool_result', 'search_flights', null],
      ['assistant_response', null, 'SK1470 leaves at 07:05.'],
    ]);
    expect(job.steps[2]).toMatchObject({ toolStatus: 'success', parameters: { to: 'OSL' } });
    expect(job.steps[3]).toMatchObject({ toolStatus: 'success', result: { flights: ['SK1470'] }, durationMs: 450 });

    const batch = await waitFor('the usage batch', async () => batches.find((candidate) => candidate.events.some((event) => event.jobId === jobId)));
    expect(batch).toMatchObject({ workspaceId: stack.workspaceId, via: 'otlp', organizationId: stack.organizationId });
    const chatIds = first.filter((span) => span.name.startsWith('chat')).map((span) => span.spanContext().spanId);
    expect(batch.events.map((event) => event.id).sort()).toEqual([...chatIds].sort());
    const [call1] = batch.events.filter((event) => event.id === chatIds[0]);
    expect(call1).toMatchObject({
      source: 'otlp:travel-agent-svc',
      agent: 'travel-planner',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      inputTokens: 1200,
      outputTokens: 80,
      cacheReadInputTokens: 1000,
      responseTimeMs: 800,
      status: 'success',
      jobId,
    });
    await waitFor('both calls metered', async () => ((await calls()) === 2 ? true : undefined));
  });

  it('the same trace re-sent as protobuf (gzip) changes nothing and is metered once; the answer is protobuf', async () => {
    const published = batches.length;
    const body = gzipSync(ProtobufTraceSerializer.serializeRequest(first)!);
    const answer = await post(body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('application/x-protobuf');
    expect(answer.bytes.length).toBe(0); // an empty ExportTraceServiceResponse: everything accepted
    // the batch went out again with the same id (JetStream drops it as a duplicate)
    await waitFor('the re-sent batch', async () => (batches.length > published ? true : undefined));
    expect(batches[batches.length - 1]!.batchId).toBe(batches.find((batch) => batch.events.some((event) => event.jobId === jobId))!.batchId);

    // a new failing run, as plain protobuf: once it is metered, the re-sent trace has been handled too
    const { agent } = agentRun(tracer, { agent: 'travel-planner', question: 'And back on Sunday?', fail: true });
    const second = memory.getFinishedSpans();
    memory.reset();
    expect((await post(ProtobufTraceSerializer.serializeRequest(second)!, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    const failedJob = await detail(`otel-${agent.spanContext().traceId}-${agent.spanContext().spanId}`, (job) => job.status === 'failed');
    expect(failedJob).toMatchObject({ status: 'failed', summary: 'the model refused' });
    await waitFor('the second run metered', async () => ((await calls()) >= 4 ? true : undefined));
    expect(await calls()).toBe(4);
    const job = await detail(jobId, () => true);
    expect(job.steps).toHaveLength(5);

    // and the second run once more as plain JSON (the SDK's JSON serializer): still nothing new
    const json = Buffer.from(JsonTraceSerializer.serializeRequest(second)!).toString('utf8');
    expect((await post(json, { 'content-type': 'application/json' })).status).toBe(200);
    expect((await detail(failedJob.jobId, () => true)).steps).toHaveLength(failedJob.steps.length);
  });

  it('refuses what it cannot read: bad protobuf, bad gzip, an unknown top-level field, no credentials', async () => {
    const bad = await post(Buffer.from([0xff, 0xff, 0xff, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/^application\/problem\+json/);
    expect((await post(Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
    const unknown = await post(JSON.stringify({ resourceSpans: [], extra: 1 }), { 'content-type': 'application/json' });
    expect(unknown.status).toBe(400);
    const anonymous = await fetch(`${stack.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});
