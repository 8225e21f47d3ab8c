import { createHash } from 'node:crypto';
import { readGenAiUsage, withinGenAiTokenSemantics, type JobCommandInput, type JobFinishStatus, type JobStepInput, type UsageEventInput } from '@steward/contracts';
import type { OtlpAnyValue, OtlpKeyValue, OtlpSpan, OtlpTraceRequest } from './otlp-request.schema';

/*
 * OpenTelemetry GenAI spans → Steward jobs, steps and usage (the mapping is
 * documented in the README, "Job history"). Pure: no clock, no I/O.
 */

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export function anyValueOf(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map((item) => anyValueOf(item as OtlpAnyValue));
  if (value.kvlistValue) return attributesOf(value.kvlistValue.values as OtlpKeyValue[] | undefined);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}

export function attributesOf(list: readonly OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) out[key] = anyValueOf(value);
  return out;
}

const LLM_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content']);

export interface PlannedJob {
  readonly jobId: string;
  /** From an `invoke_agent` span of this request. */
  readonly start?: Omit<JobCommandInput<'StartJob'>, 'workspaceId'>;
  readonly finish?: Omit<JobCommandInput<'FinishJob'>, 'workspaceId'>;
  /** Steps in the order they happened. */
  readonly steps: JobStepInput[];
  /** When the job's own span is not in this request: start it with the steps (it arrives later, or never). */
  readonly startIfMissing?: { agent: string; startedAt: string; source: 'otlp' };
}

export interface OtlpPlan {
  readonly jobs: PlannedJob[];
  readonly usage: UsageEventInput[];
  readonly spans: number;
  /** Spans refused, with why (answered in partialSuccess). */
  readonly rejected: Array<{ spanId: string; reason: string }>;
}

interface FlatSpan {
  readonly span: OtlpSpan;
  readonly attributes: Record<string, AttributeValue>;
  readonly serviceName: string;
  readonly startMs: number;
  readonly endMs: number;
}

function nanosToMs(value: string | number): number {
  return Number(BigInt(value) / 1_000_000n);
}

const iso = (ms: number): string => new Date(ms).toISOString();

function str(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

function int(value: AttributeValue | undefined): number {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? Math.floor(number) : 0;
}

function failed(flat: FlatSpan): boolean {
  const code = flat.span.status?.code;
  return code === 2 || code === 'STATUS_CODE_ERROR' || str(flat.attributes['error.type']) !== undefined;
}

/** A JSON text attribute (gen_ai.*.messages, tool arguments) as a value; other text stays text. */
function parsed(value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value !== 'string') return value ?? undefined;
  try {
    return JSON.parse(value) as AttributeValue;
  } catch {
    return value;
  }
}

interface Message {
  readonly role: string;
  readonly text: string;
}

/** GenAI messages (`[{ role, parts: [{ type: 'text', content }] }]`, or the older `[{ role, content }]`) as role + text. */
function messagesOf(value: AttributeValue | undefined): Message[] {
  const list = parsed(value);
  if (!Array.isArray(list)) return [];
  const messages: Message[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    const role = str(item.role) ?? 'user';
    const parts = Array.isArray(item.parts) ? item.parts : [];
    const texts = parts
      .map((part) => (part !== null && typeof part === 'object' && !Array.isArray(part) ? str(part.content) : undefined))
      .filter((text): text is string => text !== undefined);
    const text = texts.length > 0 ? texts.join('\n') : typeof item.content === 'string' ? item.content : undefined;
    if (text !== undefined && text !== '') messages.push({ role, text });
  }
  return messages;
}

/** What the user said to this span: input messages (attribute or event), user-message events, or a legacy prompt. */
function userInputs(flat: FlatSpan): string[] {
  const texts: string[] = [];
  const fromMessages = (value: AttributeValue | undefined) => messagesOf(value).filter((m) => m.role === 'user').forEach((m) => texts.push(m.text));
  fromMessages(flat.attributes['gen_ai.input.messages']);
  for (const event of flat.span.events ?? []) {
    const attributes = attributesOf(event.attributes);
    if (event.name === 'gen_ai.user.message') {
      const text = str(attributes.content) ?? messagesOf(attributes.message).map((m) => m.text)[0];
      if (text) texts.push(text);
    } else if (event.name === 'gen_ai.client.inference.operation.details') {
      fromMessages(attributes['gen_ai.input.messages']);
    }
  }
  const prompt = str(flat.attributes['gen_ai.prompt']);
  if (texts.length === 0 && prompt) texts.push(prompt);
  return [...new Set(texts)];
}

/** The assistant's answer: output messages (attribute or event), choice events, a legacy completion. */
function assistantOutput(flat: FlatSpan): string | undefined {
  const pick = (value: AttributeValue | undefined) => messagesOf(value).filter((m) => m.role === 'assistant' || m.role === 'model').map((m) => m.text);
  const texts = pick(flat.attributes['gen_ai.output.messages']);
  for (const event of flat.span.events ?? []) {
    const attributes = attributesOf(event.attributes);
    if (event.name === 'gen_ai.choice') {
      const text = str(attributes.content) ?? messagesOf(attributes.message ? [attributes.message] : undefined)[0]?.text;
      if (text) texts.push(text);
    } else if (event.name === 'gen_ai.client.inference.operation.details') {
      texts.push(...pick(attributes['gen_ai.output.messages']));
    }
  }
  if (texts.length === 0) {
    const completion = str(flat.attributes['gen_ai.completion']);
    if (completion) texts.push(completion);
  }
  return texts.length > 0 ? texts.join('\n') : undefined;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 24);

/** Step order inside one instant: what the user said, the tool call, its result, then the answer. */
const RANK: Record<JobStepInput['type'], number> = { user_message: 0, system: 1, tool_call: 2, tool_result: 3, assistant_response: 4 };

/**
 * Maps one OTLP request: an `invoke_agent` span is a job (id
 * `otel-<traceId>-<spanId>`); a span below it (nearest invoke_agent ancestor in
 * the request) adds steps to it; a GenAI span with no such ancestor in the
 * request goes to the trace's job `otel-<traceId>`, started with it when
 * missing. chat / text_completion / generate_content → assistant_response step
 * + one usage event (id = span id); execute_tool → tool_call + tool_result;
 * user input → user_message steps (id from the text, so a conversation's
 * history repeated in later calls is recorded once).
 */
export function planOtlpRequest(request: OtlpTraceRequest): OtlpPlan {
  const flats: FlatSpan[] = [];
  const rejected: OtlpPlan['rejected'] = [];
  let spans = 0;
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const serviceName = str(resource['service.name']) ?? 'unknown_service';
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans++;
        const startMs = nanosToMs(span.startTimeUnixNano);
        const endMs = nanosToMs(span.endTimeUnixNano);
        if (endMs < startMs) {
          rejected.push({ spanId: span.spanId, reason: 'endTimeUnixNano lies before startTimeUnixNano' });
          continue;
        }
        if (startMs < Date.UTC(2000, 0, 1) || endMs > Date.UTC(2200, 0, 1)) {
          rejected.push({ spanId: span.spanId, reason: 'times outside 2000–2200' });
          continue;
        }
        flats.push({ span: { ...span, traceId: span.traceId.toLowerCase(), spanId: span.spanId.toLowerCase() }, attributes: attributesOf(span.attributes), serviceName, startMs, endMs });
      }
    }
  }

  const byId = new Map(flats.map((flat) => [`${flat.span.traceId}/${flat.span.spanId}`, flat]));
  const operation = (flat: FlatSpan) => str(flat.attributes['gen_ai.operation.name']);
  const agentOf = (flat: FlatSpan) => str(flat.attributes['gen_ai.agent.name']) ?? str(flat.attributes['gen_ai.agent.id']) ?? (flat.span.name || 'unassigned');
  /** The nearest invoke_agent span above `flat` (not itself) in this request. */
  const agentAbove = (flat: FlatSpan): FlatSpan | undefined => {
    let parentId = flat.span.parentSpanId?.toLowerCase();
    for (let depth = 0; parentId && depth < 256; depth++) {
      const parent = byId.get(`${flat.span.traceId}/${parentId}`);
      if (!parent) return undefined;
      if (operation(parent) === 'invoke_agent') return parent;
      parentId = parent.span.parentSpanId?.toLowerCase();
    }
    return undefined;
  };
  const jobIdOfAgent = (agent: FlatSpan) => `otel-${agent.span.traceId}-${agent.span.spanId}`;

  const jobs = new Map<string, { jobId: string; start?: PlannedJob['start']; finish?: PlannedJob['finish']; steps: Array<JobStepInput & { rank: number; ms: number }>; startIfMissing?: PlannedJob['startIfMissing']; agent?: string }>();
  const jobFor = (flat: FlatSpan) => {
    const agent = agentAbove(flat);
    const jobId = agent ? jobIdOfAgent(agent) : `otel-${flat.span.traceId}`;
    let job = jobs.get(jobId);
    if (!job) {
      job = { jobId, steps: [] };
      jobs.set(jobId, job);
    }
    if (!agent && !job.startIfMissing) job.startIfMissing = { agent: str(flat.attributes['gen_ai.agent.name']) ?? 'unassigned', startedAt: iso(flat.startMs), source: 'otlp' };
    if (agent) job.agent = agentOf(agent);
    return job;
  };
  const addStep = (flat: FlatSpan, step: JobStepInput, ms: number) => {
    const job = jobFor(flat);
    job.steps.push({ ...step, at: iso(ms), rank: RANK[step.type], ms });
  };

  const usage: UsageEventInput[] = [];
  for (const flat of flats) {
    const op = operation(flat);
    const { span, attributes } = flat;
    const durationMs = flat.endMs - flat.startMs;
    const error = failed(flat);
    if (op === 'invoke_agent') {
      const jobId = jobIdOfAgent(flat);
      const job = jobs.get(jobId) ?? { jobId, steps: [] };
      jobs.set(jobId, job);
      job.agent = agentOf(flat);
      const inputs = userInputs(flat);
      job.start = {
        jobId,
        agent: agentOf(flat),
        startedAt: iso(flat.startMs),
        ...(inputs[0] ? { input: inputs[0] } : {}),
        metadata: {
          'trace.id': span.traceId,
          'span.id': span.spanId,
          'service.name': flat.serviceName,
          ...(str(attributes['gen_ai.agent.id']) ? { 'gen_ai.agent.id': str(attributes['gen_ai.agent.id']) as string } : {}),
        },
        source: 'otlp',
        ensure: true,
      };
      const status: JobFinishStatus = error ? 'failed' : 'success';
      const summary = assistantOutput(flat) ?? span.status?.message ?? str(attributes['error.type']);
      job.finish = { jobId, status, ...(summary ? { summary: summary.slice(0, 10_000) } : {}), endedAt: iso(flat.endMs) };
      for (const text of inputs) {
        job.steps.push({ stepId: `user:${sha(text)}`, type: 'user_message', content: text, at: iso(flat.startMs), rank: RANK.user_message, ms: flat.startMs });
      }
      // a sub-agent is its own job; its parent job notes the hand-over
      const parent = agentAbove(flat);
      if (parent) addStep(flat, { stepId: `span:${span.spanId}:agent`, type: 'system', content: `Invoked agent ${agentOf(flat)} (job ${jobId})`, durationMs }, flat.startMs);
      continue;
    }
    if (op !== undefined && LLM_OPERATIONS.has(op)) {
      for (const text of userInputs(flat)) addStep(flat, { stepId: `user:${sha(text)}`, type: 'user_message', content: text }, flat.startMs);
      const genAi = readGenAiUsage(attributes).values;
      const model = str(genAi.model as AttributeValue | undefined) ?? 'unknown';
      const provider = str(genAi.provider as AttributeValue | undefined) ?? 'unknown';
      const tokens = withinGenAiTokenSemantics({
        inputTokens: int(genAi.inputTokens as AttributeValue | undefined),
        outputTokens: int(genAi.outputTokens as AttributeValue | undefined),
        cacheReadInputTokens: int(genAi.cacheReadInputTokens as AttributeValue | undefined),
        cacheCreationInputTokens: int(genAi.cacheCreationInputTokens as AttributeValue | undefined),
        reasoningOutputTokens: int(genAi.reasoningOutputTokens as AttributeValue | undefined),
      });
      const { inputTokens: input, outputTokens: output } = tokens;
      const answer = assistantOutput(flat) ?? `${model} answered (${input} input tokens, ${output} output tokens)`;
      addStep(flat, { stepId: `span:${span.spanId}`, type: 'assistant_response', content: answer, durationMs }, flat.endMs);
      const job = jobFor(flat);
      const errorType = str(attributes['error.type']);
      usage.push({
        id: span.spanId,
        source: `otlp:${flat.serviceName}`,
        time: iso(flat.endMs),
        agent: job.agent ?? str(genAi.agent as AttributeValue | undefined) ?? job.startIfMissing?.agent ?? 'unassigned',
        provider,
        model,
        ...tokens,
        responseTimeMs: Math.min(durationMs, 86_400_000),
        status: error ? 'error' : 'success',
        ...(error && errorType ? { errorType: errorType.slice(0, 200) } : {}),
        jobId: job.jobId,
      });
      continue;
    }
    if (op === 'execute_tool') {
      const toolName = str(attributes['gen_ai.tool.name']) ?? (span.name || 'tool');
      const toolStatus = error ? 'error' : 'success';
      const args = parsed(attributes['gen_ai.tool.call.arguments']);
      const result = parsed(attributes['gen_ai.tool.call.result']);
      addStep(flat, { stepId: `span:${span.spanId}:call`, type: 'tool_call', toolName, toolStatus, ...(args !== undefined ? { parameters: args } : {}) }, flat.startMs);
      addStep(
        flat,
        {
          stepId: `span:${span.spanId}:result`,
          type: 'tool_result',
          toolName,
          toolStatus,
          ...(result !== undefined ? { result } : error && str(attributes['error.type']) ? { result: { error: str(attributes['error.type']) as string } } : {}),
          durationMs,
        },
        flat.endMs,
      );
    }
  }

  return {
    jobs: [...jobs.values()].map((job) => ({
      jobId: job.jobId,
      ...(job.start ? { start: job.start } : {}),
      ...(job.finish ? { finish: job.finish } : {}),
      ...(job.start ? {} : job.startIfMissing ? { startIfMissing: job.startIfMissing } : {}),
      steps: job.steps
        .sort((a, b) => a.ms - b.ms || a.rank - b.rank)
        .map(({ rank: _rank, ms: _ms, ...step }) => step as JobStepInput),
    })),
    usage,
    spans,
    rejected,
  };
}
