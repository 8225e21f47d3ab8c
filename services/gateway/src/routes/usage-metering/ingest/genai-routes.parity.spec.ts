import { planOtlpRequest } from './otlp-genai.mapping';
import { OtlpTraceRequestSchema } from './otlp-request.schema';
import { CLOUDEVENT_MEDIA, JSON_MEDIA, mapBinaryCloudEvent, mapCloudEvents } from './cloudevents.mapping';

/*
 * POST /v1/traces and POST /api/v1/events read the OpenTelemetry GenAI names
 * through one mapping (@steward/contracts, readGenAiUsage): the same
 * attributes, as span attributes or as an llm.usage event's data, give the
 * same usage fields.
 */

type Attributes = Record<string, string | number>;
const RECEIVED = '2026-11-22T01:00:00.000Z';
const FIELDS = ['provider', 'model', 'agent', 'inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheCreationInputTokens', 'reasoningOutputTokens'] as const;
type Mapped = Record<(typeof FIELDS)[number], unknown>;

function pick(event: Record<string, unknown> | undefined): Mapped {
  return Object.fromEntries(FIELDS.map((field) => [field, event?.[field]])) as Mapped;
}

function viaOtlp(attributes: Attributes): Mapped {
  const start = BigInt(Date.UTC(2026, 10, 21, 10)) * 1_000_000n;
  const request = OtlpTraceRequestSchema.parse({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: 'a'.repeat(32),
                spanId: 'b'.repeat(16),
                name: 'chat',
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 250_000_000n),
                attributes: Object.entries({ 'gen_ai.operation.name': 'chat', ...attributes }).map(([key, value]) => ({
                  key,
                  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
                })),
              },
            ],
          },
        ],
      },
    ],
  });
  const plan = planOtlpRequest(request);
  expect(plan.usage).toHaveLength(1);
  // the route validates what it publishes through UsageEventSchema, which lower-cases the provider
  const usage = plan.usage[0] as Record<string, unknown>;
  return pick({ ...usage, provider: String(usage.provider).toLowerCase() });
}

function viaCloudEvent(attributes: Attributes): Mapped {
  const verdict = mapCloudEvents({ specversion: '1.0', id: 'call-1', source: 'agent', type: 'llm.usage', data: attributes }, CLOUDEVENT_MEDIA, RECEIVED, 1);
  expect(verdict.errors).toEqual([]);
  return pick(verdict.events[0]?.event as Record<string, unknown> | undefined);
}

function viaBinaryCloudEvent(attributes: Attributes): Mapped {
  const headers = { 'content-type': JSON_MEDIA, 'ce-specversion': '1.0', 'ce-id': 'call-1', 'ce-source': 'agent', 'ce-type': 'llm.usage' };
  const verdict = mapBinaryCloudEvent(headers, attributes, RECEIVED);
  expect(verdict.errors).toEqual([]);
  return pick(verdict.events[0]?.event as Record<string, unknown> | undefined);
}

const tokens = (input: number, output: number, cacheRead = 0, cacheCreation = 0, reasoning = 0) => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadInputTokens: cacheRead,
  cacheCreationInputTokens: cacheCreation,
  reasoningOutputTokens: reasoning,
});

const VARIANTS: Array<{ name: string; attributes: Attributes; expected: Mapped }> = [
  {
    name: 'current conventions, every usage attribute',
    attributes: {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.agent.name': 'planner',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.cache_creation.input_tokens': 100,
      'gen_ai.usage.reasoning.output_tokens': 50,
    },
    expected: { provider: 'anthropic', model: 'claude-sonnet-4', agent: 'planner', ...tokens(1200, 300, 1000, 100, 50) },
  },
  {
    name: 'gen_ai.system (before gen_ai.provider.name)',
    attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 2 },
    expected: { provider: 'openai', model: 'gpt-4o', agent: 'unassigned', ...tokens(10, 2) },
  },
  {
    name: 'gen_ai.provider.name wins over gen_ai.system',
    attributes: { 'gen_ai.provider.name': 'azure.ai.openai', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' },
    expected: { provider: 'azure.ai.openai', model: 'gpt-4o', agent: 'unassigned', ...tokens(0, 0) },
  },
  {
    name: 'the response model wins over the request model',
    attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06' },
    expected: { provider: 'openai', model: 'gpt-4o-2024-08-06', agent: 'unassigned', ...tokens(0, 0) },
  },
  {
    name: 'prompt_tokens / completion_tokens (the first conventions)',
    attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.prompt_tokens': 70, 'gen_ai.usage.completion_tokens': 30 },
    expected: { provider: 'openai', model: 'gpt-4o', agent: 'unassigned', ...tokens(70, 30) },
  },
  {
    name: 'input_tokens / output_tokens win over prompt_tokens / completion_tokens',
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 80,
      'gen_ai.usage.prompt_tokens': 70,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.completion_tokens': 30,
    },
    expected: { provider: 'openai', model: 'gpt-4o', agent: 'unassigned', ...tokens(80, 40) },
  },
  {
    name: 'flat cache and reasoning names of older instrumentations',
    attributes: {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.usage.input_tokens': 500,
      'gen_ai.usage.output_tokens': 90,
      'gen_ai.usage.cache_read_input_tokens': 300,
      'gen_ai.usage.cache_creation_input_tokens': 150,
      'gen_ai.usage.reasoning_tokens': 60,
    },
    expected: { provider: 'anthropic', model: 'claude-sonnet-4', agent: 'unassigned', ...tokens(500, 90, 300, 150, 60) },
  },
  {
    name: 'the dotted cache and reasoning names win over the flat ones',
    attributes: {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.usage.input_tokens': 500,
      'gen_ai.usage.output_tokens': 90,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.cache_read_input_tokens': 300,
      'gen_ai.usage.reasoning.output_tokens': 20,
      'gen_ai.usage.reasoning_tokens': 60,
    },
    expected: { provider: 'anthropic', model: 'claude-sonnet-4', agent: 'unassigned', ...tokens(500, 90, 200, 0, 20) },
  },
];

describe('one GenAI mapping: OTLP spans and llm.usage CloudEvents map the same attributes the same way', () => {
  it.each(VARIANTS)('$name', ({ attributes, expected }) => {
    expect(viaOtlp(attributes)).toEqual(expected);
    expect(viaCloudEvent(attributes)).toEqual(expected);
    expect(viaBinaryCloudEvent(attributes)).toEqual(expected);
  });

  it('cached tokens beyond the input (or reasoning beyond the output): a span is held to the semantics, a CloudEvent is refused naming the attribute', () => {
    const attributes = {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.usage.prompt_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
      'gen_ai.usage.cache_read_input_tokens': 400,
      'gen_ai.usage.reasoning.output_tokens': 20,
    };
    expect(viaOtlp(attributes)).toMatchObject(tokens(100, 10, 100, 0, 10));
    const verdict = mapCloudEvents({ specversion: '1.0', id: 'c', source: 's', type: 'llm.usage', data: attributes }, CLOUDEVENT_MEDIA, RECEIVED, 1);
    expect(verdict.errors.map((error) => error.field).sort()).toEqual(['body.data.gen_ai.usage.cache_read_input_tokens', 'body.data.gen_ai.usage.reasoning.output_tokens']);
  });

  it('a quantity under a Steward name and a GenAI name (current or older) is refused in a CloudEvent', () => {
    const verdict = mapCloudEvents(
      { specversion: '1.0', id: 'c', source: 's', type: 'llm.usage', data: { provider: 'openai', 'gen_ai.system': 'openai', model: 'm', inputTokens: 1, 'gen_ai.usage.prompt_tokens': 1 } },
      CLOUDEVENT_MEDIA,
      RECEIVED,
      1,
    );
    expect(verdict.errors.map((error) => error.field).sort()).toEqual(['body.data.gen_ai.system', 'body.data.gen_ai.usage.prompt_tokens']);
  });
});
