import { decodeUsageBatch } from './usage-batch.codec';

const event = (id: string, agent: string) => ({ id, source: 'agent-sdk', time: '2026-03-01T10:00:00.000Z', agent, provider: 'openai', model: 'gpt-4o', inputTokens: 10 });
const message = (events: unknown[]) =>
  new TextEncoder().encode(JSON.stringify({ batchId: 'b-1', workspaceId: 'ws-1', organizationId: 'org-1', receivedAt: '2026-03-01T10:00:01.000Z', via: 'nats', events }));

describe('decoding an ingest message', () => {
  it('keeps the valid events and sets aside, by index, the members the schema refuses', () => {
    const batch = decodeUsageBatch(message([event('ok-1', 'bot'), event('bad-1', 'bot\u0000'), event('ok-2', 'bot'), event('bad-2', '\ud800')]));
    expect(batch.events.map((item) => item.id)).toEqual(['ok-1', 'ok-2']);
    expect(batch.invalid?.map(({ index, reason }) => ({ index, reason }))).toEqual([
      { index: 1, reason: 'agent: must not contain the NUL character (U+0000)' },
      { index: 3, reason: 'agent: must be valid Unicode (a lone UTF-16 surrogate is not)' },
    ]);
    expect(batch.invalid?.[0]?.event).toMatchObject({ id: 'bad-1', agent: 'bot\u0000' });
  });

  it('a plainly valid batch has nothing set aside; a batch of only invalid events is refused whole, naming the fields', () => {
    expect(decodeUsageBatch(message([event('ok-1', 'bot')])).invalid).toBeUndefined();
    expect(() => decodeUsageBatch(message([event('bad-1', 'bot\u0000')]))).toThrow(/^not a usage batch: events\.0\.agent: must not contain the NUL character/);
  });
});
