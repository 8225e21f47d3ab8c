import { GEN_AI_USAGE_ATTRIBUTES, LEGACY_GEN_AI_ATTRIBUTES, readGenAiUsage, withinGenAiTokenSemantics } from './genai-attributes';

describe('the GenAI usage mapping', () => {
  it('takes, per field, the first attribute present, and says which one', () => {
    const reading = readGenAiUsage({ 'gen_ai.system': 'openai', 'gen_ai.usage.prompt_tokens': 7, 'gen_ai.usage.input_tokens': null, 'gen_ai.request.model': 'm', other: 1 });
    expect(reading.values).toEqual({ provider: 'openai', inputTokens: 7, model: 'm' });
    expect(reading.origin).toEqual({ provider: 'gen_ai.system', inputTokens: 'gen_ai.usage.prompt_tokens', model: 'gen_ai.request.model' });
  });

  it('lists the older names with the current name each stands for (the request model is no older name)', () => {
    expect(LEGACY_GEN_AI_ATTRIBUTES).toContainEqual({ name: 'gen_ai.system', current: 'gen_ai.provider.name' });
    expect(LEGACY_GEN_AI_ATTRIBUTES).toContainEqual({ name: 'gen_ai.usage.completion_tokens', current: 'gen_ai.usage.output_tokens' });
    expect(LEGACY_GEN_AI_ATTRIBUTES.map((entry) => entry.name)).not.toContain('gen_ai.request.model');
    expect(LEGACY_GEN_AI_ATTRIBUTES).toHaveLength(Object.values(GEN_AI_USAGE_ATTRIBUTES).flat().length - Object.keys(GEN_AI_USAGE_ATTRIBUTES).length - 1);
  });

  it('holds cached tokens within input and reasoning within output', () => {
    expect(withinGenAiTokenSemantics({ inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 80, cacheCreationInputTokens: 50, reasoningOutputTokens: 30 })).toEqual({
      inputTokens: 100,
      outputTokens: 10,
      cacheReadInputTokens: 80,
      cacheCreationInputTokens: 20,
      reasoningOutputTokens: 10,
    });
  });
});
