import { planOtlpRequest } from './otlp-genai.mapping';
import { OtlpTraceRequestSchema, type OtlpSpan } from './otlp-request.schema';

const TRACE = 'a'.repeat(32);
const ms = (n: number) => String(BigInt(Date.UTC(2026, 10, 21, 10)) * 1_000_000n + BigInt(n) * 1_000_000n);
const attr = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } });

function span(id: string, parent: string | undefined, from: number, to: number, attributes: Array<ReturnType<typeof attr>>, extra: Partial<OtlpSpan> = {}): OtlpSpan {
  return { traceId: TRACE, spanId: id.padStart(16, '0'), ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}), name: id, startTimeUnixNano: ms(from), endTimeUnixNano: ms(to), attributes, ...extra };
}

function request(spans: OtlpSpan[]) {
  return OtlpTraceRequestSchema.parse({ resourceSpans: [{ resource: { attributes: [attr('service.name', 'svc')] }, scopeSpans: [{ spans }] }] });
}

const agent = span('1', undefined, 0, 1000, [attr('gen_ai.operation.name', 'invoke_agent'), attr('gen_ai.agent.name', 'planner')]);
const chat = span('2', '1', 10, 300, [
  attr('gen_ai.operation.name', 'chat'),
  attr('gen_ai.provider.name', 'anthropic'),
  attr('gen_ai.request.model', 'claude'),
  attr('gen_ai.usage.input_tokens', 100),
  attr('gen_ai.usage.output_tokens', 20),
  attr('gen_ai.usage.cache_read.input_tokens', 500),
  attr('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: 'hi' }])),
]);
const tool = span('3', '2', 400, 450, [attr('gen_ai.operation.name', 'execute_tool'), attr('gen_ai.tool.name', 'lookup'), attr('gen_ai.tool.call.arguments', '{"q":1}')], {
  status: { code: 2, message: 'boom' },
});

describe('OTLP GenAI mapping', () => {
  it('an invoke_agent span is a job; the spans below it are its steps, in time order; the chat span is usage', () => {
    const plan = planOtlpRequest(request([tool, chat, agent]));
    expect(plan.jobs).toHaveLength(1);
    const [job] = plan.jobs;
    expect(job!.jobId).toBe(`otel-${TRACE}-${'1'.padStart(16, '0')}`);
    expect(job!.start).toMatchObject({ agent: 'planner', startedAt: '2026-11-21T10:00:00.000Z', ensure: true, source: 'otlp' });
    expect(job!.finish).toMatchObject({ status: 'success', endedAt: '2026-11-21T10:00:01.000Z' });
    expect(job!.steps.map((step) => step.type)).toEqual(['user_message', 'assistant_response', 'tool_call', 'tool_result']);
    expect(job!.steps[3]).toMatchObject({ toolName: 'lookup', toolStatus: 'error', durationMs: 50 });
    expect(job!.steps[2]).toMatchObject({ parameters: { q: 1 } });
    expect(plan.usage).toEqual([
      expect.objectContaining({ id: '2'.padStart(16, '0'), source: 'otlp:svc', agent: 'planner', provider: 'anthropic', model: 'claude', inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 100, responseTimeMs: 290, status: 'success' }),
    ]);
  });

  it('spans whose agent span is not in the request go to the trace job, started with them if missing', () => {
    const plan = planOtlpRequest(request([chat]));
    expect(plan.jobs[0]).toMatchObject({ jobId: `otel-${TRACE}`, startIfMissing: { agent: 'unassigned', source: 'otlp' } });
    expect(plan.jobs[0]!.start).toBeUndefined();
  });

  it('the same user text gives the same step id (a conversation history repeated is recorded once)', () => {
    const plan = planOtlpRequest(request([agent, chat, span('4', '1', 500, 600, chat.attributes as never)]));
    const users = plan.jobs[0]!.steps.filter((step) => step.type === 'user_message');
    expect(new Set(users.map((step) => step.stepId)).size).toBe(1);
  });

  it('a span ending before it starts is rejected; non-GenAI spans are left out', () => {
    const plan = planOtlpRequest(request([span('5', undefined, 100, 50, [attr('gen_ai.operation.name', 'chat')]), span('6', undefined, 0, 10, [attr('http.method', 'GET')])]));
    expect(plan).toMatchObject({ spans: 2, jobs: [], usage: [], rejected: [{ spanId: '5'.padStart(16, '0') }] });
  });
});
