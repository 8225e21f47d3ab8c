import { decodeEvent, encodeEvent, type PublishableEvent } from './event-codec';
import { MessagingError, MessagingErrorCode } from './messaging.error';

const recorded: PublishableEvent = {
  eventId: '6f1c1f43-3a34-4a2b-8a0e-3f6c2b9f0a11',
  type: 'UsageRecorded',
  version: 1,
  streamId: 'usage-ws1',
  data: { tokens: 12 },
  metadata: { correlationId: 'c1', actor: { type: 'system', id: 'test' }, occurredAt: '2026-11-21T10:00:00.000Z' },
  streamRevision: 9007199254740993n,
  position: { commit: 18446744073709551615n, prepare: 42n },
  recordedAt: new Date('2026-11-21T10:00:01.000Z'),
};

describe('event codec', () => {
  it('round-trips the full envelope, bigints exactly', () => {
    const json = encodeEvent(recorded);
    expect(JSON.parse(json).position).toEqual({ commit: '18446744073709551615', prepare: '42' });
    expect(decodeEvent(Buffer.from(json))).toEqual(recorded);
  });

  it('refuses what is not an envelope, as an invalid message', () => {
    for (const bad of ['not json', JSON.stringify({ eventId: 'x' })]) {
      try {
        decodeEvent(bad);
        throw new Error('expected a MessagingError');
      } catch (error) {
        expect(MessagingError.is(error, MessagingErrorCode.InvalidMessage)).toBe(true);
      }
    }
  });
});
