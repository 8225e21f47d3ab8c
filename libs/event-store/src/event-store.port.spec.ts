import { EventStoreError, EventStoreErrorCode, START, comparePositions, formatPosition, parsePosition } from './event-store.port';
import { describeRevision, prepareRequests } from './event-store.validation';

const metadata = { correlationId: 'c', actor: { type: 'system' as const, id: 's' }, occurredAt: '2026-01-01T00:00:00Z' };
const event = (eventId = '0b8f4a6e-3c1d-4e2f-9a7b-1c2d3e4f5a6b') => ({ eventId, type: 'Happened', version: 1, data: { a: 1 }, metadata });

describe('global positions', () => {
  it('orders by commit, then prepare', () => {
    expect(comparePositions({ commit: 1n, prepare: 9n }, { commit: 2n, prepare: 1n })).toBe(-1);
    expect(comparePositions({ commit: 2n, prepare: 1n }, { commit: 2n, prepare: 0n })).toBe(1);
    expect(comparePositions({ commit: 3n, prepare: 3n }, { commit: 3n, prepare: 3n })).toBe(0);
    expect(comparePositions(START, { commit: 0n, prepare: 1n })).toBe(-1);
  });

  it('formats and parses exactly, refusing anything else', () => {
    const position = { commit: 18446744073709551615n, prepare: 12345678901234567890n };
    expect(formatPosition(position)).toBe('18446744073709551615/12345678901234567890');
    expect(parsePosition(formatPosition(position))).toEqual(position);
    for (const bad of ['', '1', '1/', '/1', '-1/2', '1/2/3', '1.5/2']) expect(() => parsePosition(bad)).toThrow();
  });
});

describe('append validation', () => {
  const invalid = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(EventStoreError);
      expect((error as EventStoreError).code).toBe(EventStoreErrorCode.InvalidArgument);
      return;
    }
    throw new Error('expected InvalidArgument');
  };

  it('accepts a valid request and lower-cases event ids', () => {
    const [request] = prepareRequests([
      { streamId: 's-1', expectedRevision: 0n, events: [event('0B8F4A6E-3C1D-4E2F-9A7B-1C2D3E4F5A6B')] },
    ]);
    expect(request!.events[0]!.eventId).toBe('0b8f4a6e-3c1d-4e2f-9a7b-1c2d3e4f5a6b');
    expect(request!.events[0]!.data).toBe('{"a":1}');
  });

  it('refuses empty stream ids, bad ids, duplicate ids, negative revisions, unserialisable data', () => {
    invalid(() => prepareRequests([{ streamId: '', expectedRevision: 'any', events: [event()] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: 'any', events: [event('nope')] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: 'any', events: [event(), event()] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: -1n, events: [event()] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: 'any', events: [] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: 'any', events: [{ ...event(), data: { n: 1n } }] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: 'any', events: [{ ...event(), data: undefined }] }]));
    invalid(() => prepareRequests([{ streamId: 's', expectedRevision: 'any', events: [{ ...event(), version: 0 }] }]));
    invalid(() =>
      prepareRequests([
        { streamId: 'a', expectedRevision: 'any', events: [event()] },
        { streamId: 'b', expectedRevision: 'any', events: [event()] },
      ]),
    );
  });

  it('describes revisions as JSON-safe text', () => {
    expect(describeRevision(12n)).toBe('12');
    expect(describeRevision('no_stream')).toBe('no_stream');
    expect(describeRevision(undefined)).toBe('no_stream');
  });
});
