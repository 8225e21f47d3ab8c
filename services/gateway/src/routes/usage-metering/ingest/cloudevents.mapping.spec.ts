import { CLOUDEVENT_MEDIA, CLOUDEVENTS_BATCH_MEDIA, JSON_MEDIA, isBinaryMode, mapBinaryCloudEvent, mapCloudEvents, percentDecoded } from './cloudevents.mapping';

const RECEIVED = '2026-11-22T01:00:00.000Z';

function cloudEvent(data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { specversion: '1.0', id: 'call-1', source: 'agent-runner', type: 'llm.usage', data, ...extra };
}

describe('CloudEvents of type llm.usage → usage events', () => {
  it('maps the OpenTelemetry GenAI names; the response model wins; time defaults to receipt', () => {
    const verdict = mapCloudEvents(
      cloudEvent({
        'gen_ai.provider.name': 'OpenAI',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.agent.name': 'researcher',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.cache_creation.input_tokens': 100,
        'gen_ai.usage.reasoning.output_tokens': 50,
        responseTimeMs: 850,
      }),
      CLOUDEVENT_MEDIA,
      RECEIVED,
      10,
    );
    expect(verdict.errors).toEqual([]);
    expect(verdict.events).toEqual([
      {
        subject: undefined,
        subjectField: 'body.subject',
        event: expect.objectContaining({
          id: 'call-1',
          source: 'agent-runner',
          time: RECEIVED,
          provider: 'openai',
          model: 'gpt-4o-2024-08-06',
          agent: 'researcher',
          inputTokens: 1200,
          outputTokens: 300,
          cacheReadInputTokens: 1000,
          cacheCreationInputTokens: 100,
          reasoningOutputTokens: 50,
          responseTimeMs: 850,
          status: 'success',
        }),
      },
    ]);
  });

  it("takes Steward's names, the subject and the time as sent", () => {
    const verdict = mapCloudEvents(
      cloudEvent({ provider: 'anthropic', model: 'claude-sonnet-4', inputTokens: 10, outputTokens: 2 }, { subject: 'ws_1', time: '2026-11-20T10:00:00+05:30' }),
      JSON_MEDIA,
      RECEIVED,
      10,
    );
    expect(verdict.events[0]).toMatchObject({ subject: 'ws_1', event: { time: '2026-11-20T10:00:00+05:30', model: 'claude-sonnet-4', agent: 'unassigned' } });
  });

  it('another type, a missing model, an unknown field, a quantity under two names: 400 errors naming the field as sent', () => {
    const verdict = mapCloudEvents(
      [
        cloudEvent({ provider: 'openai', model: 'gpt-4o' }, { type: 'com.example.other' }),
        cloudEvent({ 'gen_ai.provider.name': 'openai' }),
        cloudEvent({ provider: 'openai', model: 'm', colour: 'blue' }),
        cloudEvent({ provider: 'openai', model: 'm', inputTokens: 1, 'gen_ai.usage.input_tokens': 1 }),
        cloudEvent({ provider: 'openai', model: 'm', 'gen_ai.usage.input_tokens': 5, 'gen_ai.usage.cache_read.input_tokens': 9 }),
      ],
      CLOUDEVENTS_BATCH_MEDIA,
      RECEIVED,
      10,
    );
    expect(verdict.events).toEqual([]);
    const fields = verdict.errors.map((error) => error.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'body.0.type',
        'body.1.data.model',
        'body.2.data.colour',
        'body.3.data.gen_ai.usage.input_tokens',
        'body.4.data.gen_ai.usage.cache_read.input_tokens',
      ]),
    );
  });

  it('the media type decides the shape: one event, an array, or either for application/json', () => {
    const one = cloudEvent({ provider: 'openai', model: 'gpt-4o' });
    expect(mapCloudEvents([one], CLOUDEVENT_MEDIA, RECEIVED, 10).errors[0]?.field).toBe('body');
    expect(mapCloudEvents(one, CLOUDEVENTS_BATCH_MEDIA, RECEIVED, 10).errors[0]?.field).toBe('body');
    expect(mapCloudEvents([one, { ...one, id: 'call-2' }], JSON_MEDIA, RECEIVED, 10).events).toHaveLength(2);
    expect(mapCloudEvents([42], JSON_MEDIA, RECEIVED, 10).errors[0]?.field).toBe('body.0');
    expect(mapCloudEvents([], JSON_MEDIA, RECEIVED, 10).errors[0]?.field).toBe('body');
    expect(mapCloudEvents([one, one, one], JSON_MEDIA, RECEIVED, 2).errors[0]?.field).toBe('body');
  });
});

describe('binary content mode: attributes in ce-* headers, data as the body', () => {
  const headers = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
    'content-type': 'application/json; charset=utf-8',
    'ce-specversion': '1.0',
    'ce-id': 'call-1',
    'ce-source': 'agent-runner',
    'ce-type': 'llm.usage',
    ...extra,
  });
  const data = { 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 2 };

  it('is told apart from the structured modes by its ce-* headers, never for a CloudEvents media type', () => {
    expect(isBinaryMode(headers(), JSON_MEDIA)).toBe(true);
    expect(isBinaryMode({ 'content-type': JSON_MEDIA }, JSON_MEDIA)).toBe(false);
    expect(isBinaryMode(headers(), CLOUDEVENT_MEDIA)).toBe(false);
    expect(isBinaryMode(headers(), CLOUDEVENTS_BATCH_MEDIA)).toBe(false);
  });

  it('maps to the same usage event as the structured event with the same attributes and data', () => {
    const time = '2026-11-20T10:00:00Z';
    const binary = mapBinaryCloudEvent(headers({ 'ce-subject': 'ws_1', 'ce-time': time }), data, RECEIVED);
    const structured = mapCloudEvents(cloudEvent(data, { subject: 'ws_1', time }), CLOUDEVENT_MEDIA, RECEIVED, 10);
    expect(binary.errors).toEqual([]);
    expect(binary.events.map(({ subject, event }) => ({ subject, event }))).toEqual(structured.events.map(({ subject, event }) => ({ subject, event })));
    expect(binary.events[0]?.subjectField).toBe('header.ce-subject');
  });

  it('percent-decodes header values as UTF-8 (the HTTP binding), and refuses a broken escape naming the header', () => {
    // the id is a client-supplied id (letters, digits, _ - . :), the source a name: the escapes decode into both
    const verdict = mapBinaryCloudEvent(headers({ 'ce-id': 'chat%3Acmpl%2D42', 'ce-source': 'caf%C3%A9 agent%2542' }), data, RECEIVED);
    expect(verdict.events[0]?.event).toMatchObject({ id: 'chat:cmpl-42', source: 'café agent%42' });
    expect(mapBinaryCloudEvent(headers({ 'ce-id': 'chat%20cmpl' }), data, RECEIVED).errors).toEqual([{ field: 'header.ce-id', reason: expect.stringContaining('ids use') }]);
    expect(percentDecoded('plain')).toBe('plain');
    expect(percentDecoded('100%')).toBeUndefined();
    expect(percentDecoded('%C3')).toBeUndefined();
    expect(mapBinaryCloudEvent(headers({ 'ce-id': 'bad%zz' }), data, RECEIVED).errors).toEqual([{ field: 'header.ce-id', reason: expect.any(String) }]);
  });

  it('names the header of a missing or bad attribute, and the body field of bad data', () => {
    const fields = (verdict: { errors: Array<{ field: string }> }) => verdict.errors.map((error) => error.field);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-id': undefined }), data, RECEIVED))).toEqual(['header.ce-id']);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-specversion': '0.3' }), data, RECEIVED))).toEqual(['header.ce-specversion']);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-type': 'com.example.other' }), data, RECEIVED))).toEqual(['header.ce-type']);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-time': 'yesterday' }), data, RECEIVED))).toEqual(['header.ce-time']);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-colour': 'blue' }), data, RECEIVED))).toEqual(['header.ce-colour']);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-datacontenttype': JSON_MEDIA }), data, RECEIVED))).toEqual(['header.ce-datacontenttype']);
    expect(fields(mapBinaryCloudEvent(headers({ 'ce-__proto__': 'x' }), data, RECEIVED))).toEqual(['header.ce-__proto__']);
    expect(fields(mapBinaryCloudEvent(headers(), { ...data, 'gen_ai.usage.input_tokens': -1 }, RECEIVED))).toContain('body.gen_ai.usage.input_tokens');
    expect(fields(mapBinaryCloudEvent(headers(), { ...data, colour: 'blue' }, RECEIVED))).toEqual(['body.colour']);
    expect(fields(mapBinaryCloudEvent(headers(), [data], RECEIVED))).toEqual(['body']);
  });
});
