import type { UsageEvent } from './usage-fields';

/*
 * The one reading of the OpenTelemetry GenAI semantic conventions for usage:
 * which attribute fills which usage field, in which order of precedence.
 * The OTLP route (span attributes) and the CloudEvents route (`data` of an
 * llm.usage event) both read through it, so one call reported either way is
 * metered the same.
 */

/** The usage fields the GenAI attributes fill. */
export type GenAiUsageField = keyof Pick<
  UsageEvent,
  'provider' | 'model' | 'agent' | 'inputTokens' | 'outputTokens' | 'cacheReadInputTokens' | 'cacheCreationInputTokens' | 'reasoningOutputTokens'
>;

/**
 * Each field's attribute names, the first present one wins: the current
 * conventions first, then the names older instrumentations still emit
 * (`gen_ai.system` before it became `gen_ai.provider.name`, the
 * `prompt_tokens` / `completion_tokens` of the first conventions, the flat
 * cache and reasoning names). The model that answered wins over the model
 * asked for: it is the one priced.
 *
 * Token semantics (as the conventions define them): input tokens include the
 * cached ones (cache read and cache creation), output tokens include the
 * reasoning ones, so a token is never counted twice.
 */
export const GEN_AI_USAGE_ATTRIBUTES = {
  provider: ['gen_ai.provider.name', 'gen_ai.system'],
  model: ['gen_ai.response.model', 'gen_ai.request.model'],
  agent: ['gen_ai.agent.name'],
  inputTokens: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  outputTokens: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cacheReadInputTokens: ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens'],
  cacheCreationInputTokens: ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens'],
  reasoningOutputTokens: ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens'],
} as const satisfies Record<GenAiUsageField, readonly string[]>;

export type GenAiUsageAttribute = (typeof GEN_AI_USAGE_ATTRIBUTES)[GenAiUsageField][number];

/** Which field each attribute name fills. */
export const GEN_AI_ATTRIBUTE_FIELDS: ReadonlyMap<string, GenAiUsageField> = new Map(
  (Object.entries(GEN_AI_USAGE_ATTRIBUTES) as Array<[GenAiUsageField, readonly string[]]>).flatMap(([field, names]) => names.map((name) => [name, field] as const)),
);

/** The names older instrumentations emit, for documentation (each with the current name it stands for). */
export const LEGACY_GEN_AI_ATTRIBUTES: ReadonlyArray<{ readonly name: string; readonly current: string }> = (
  Object.values(GEN_AI_USAGE_ATTRIBUTES) as ReadonlyArray<readonly string[]>
).flatMap((names) => (names[0] === 'gen_ai.response.model' ? [] : names.slice(1).map((name) => ({ name, current: names[0] as string }))));

export type GenAiTokenField = Exclude<GenAiUsageField, 'provider' | 'model' | 'agent'>;

export interface GenAiUsageReading {
  /** Each field's value, as the winning attribute held it (not yet validated). */
  readonly values: Partial<Record<GenAiUsageField, unknown>>;
  /** The attribute each value came from, to name it in an error. */
  readonly origin: Partial<Record<GenAiUsageField, GenAiUsageAttribute>>;
}

/** True for the attribute names this mapping reads. */
export function isGenAiUsageAttribute(name: string): name is GenAiUsageAttribute {
  return GEN_AI_ATTRIBUTE_FIELDS.has(name);
}

/**
 * The usage fields a set of GenAI attributes gives, by precedence: for each
 * field the first of its names whose value is neither undefined nor null.
 */
export function readGenAiUsage(attributes: Readonly<Record<string, unknown>>): GenAiUsageReading {
  const values: Partial<Record<GenAiUsageField, unknown>> = {};
  const origin: Partial<Record<GenAiUsageField, GenAiUsageAttribute>> = {};
  for (const [field, names] of Object.entries(GEN_AI_USAGE_ATTRIBUTES) as Array<[GenAiUsageField, readonly GenAiUsageAttribute[]]>) {
    for (const name of names) {
      const value = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
      if (value === undefined || value === null) continue;
      values[field] = value;
      origin[field] = name;
      break;
    }
  }
  return { values, origin };
}

export type GenAiTokens = Readonly<Record<GenAiTokenField, number>>;

/**
 * Token counts held to the conventions' semantics: cache read plus cache
 * creation within input, reasoning within output. For a source that cannot
 * be refused field by field (an exported span); the CloudEvents and batch
 * routes refuse such counts instead (UsageEventSchema).
 */
export function withinGenAiTokenSemantics(tokens: GenAiTokens): GenAiTokens {
  const cacheReadInputTokens = Math.min(tokens.inputTokens, tokens.cacheReadInputTokens);
  return {
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    cacheReadInputTokens,
    cacheCreationInputTokens: Math.min(tokens.inputTokens - cacheReadInputTokens, tokens.cacheCreationInputTokens),
    reasoningOutputTokens: Math.min(tokens.outputTokens, tokens.reasoningOutputTokens),
  };
}
