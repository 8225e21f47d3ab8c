import { decodeJobCursor, encodeJobCursor, filtersKey } from './job-cursor';

describe('job list cursors', () => {
  const cursor = { startedAt: '2026-03-01T10:00:00.123456Z', jobId: 'job:1.a', offset: 40, filters: filtersKey({ agent: 'indexer' }) };

  it('reads back what a page wrote', () => {
    expect(decodeJobCursor(encodeJobCursor(cursor))).toEqual(cursor);
  });

  it('is not read from text that is not one: garbage, another shape, a bad position or offset', () => {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const text of [
      'not-a-cursor',
      encode({ startedAt: cursor.startedAt }),
      encode([2, cursor.startedAt, 'job', 20, cursor.filters]),
      encode([1, '2026-03-01 10:00:00', 'job', 20, cursor.filters]),
      encode([1, cursor.startedAt, '', 20, cursor.filters]),
      encode([1, cursor.startedAt, 'job', 0, cursor.filters]),
      encode([1, cursor.startedAt, 'job', 2.5, cursor.filters]),
      // well-formed text PostgreSQL refuses as a timestamp (a 500 before): year 0000, February 30, month 99
      encode([1, '0000-01-01T00:00:00.000000Z', 'job', 20, cursor.filters]),
      encode([1, '2026-02-30T00:00:00.000000Z', 'job', 20, cursor.filters]),
      encode([1, '2026-99-01T00:00:00.000000Z', 'job', 20, cursor.filters]),
    ]) {
      expect(decodeJobCursor(text)).toBeUndefined();
    }
  });

  it('binds to the filters: any filter changed is another list', () => {
    const keys = [{}, { agent: 'indexer' }, { agent: 'indexer', status: 'failed' as const }, { from: '2026-03-01T00:00:00Z' }, { to: '2026-03-01T00:00:00Z' }].map(filtersKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(filtersKey({ status: 'failed', agent: 'indexer' })).toBe(filtersKey({ agent: 'indexer', status: 'failed' }));
  });
});
