import {
  assertSchemaName,
  jsonArrayParam,
  likePrefixPattern,
  migrationLockKey,
  notifyChannel,
  positionFromRow,
  positionParams,
  quoteIdentifier,
  renderMigration,
  MIGRATIONS,
} from './postgres-sql';

/** What LIKE (escape `\`) would match, done in JS to check the escaping. */
function likeMatches(pattern: string, text: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') regex += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') regex += '.*';
    else if (c === '_') regex += '.';
    else regex += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 's').test(text);
}

describe('likePrefixPattern', () => {
  it('matches exactly the strings that start with the prefix', () => {
    const pattern = likePrefixPattern('order_1');
    expect(pattern).toBe('order\\_1%');
    expect(likeMatches(pattern, 'order_1-abc')).toBe(true);
    expect(likeMatches(pattern, 'orderX1-abc')).toBe(false);
  });

  it('escapes %, _ and the escape character itself', () => {
    expect(likePrefixPattern('50%_off\\')).toBe('50\\%\\_off\\\\%');
    expect(likeMatches(likePrefixPattern('50%'), '50%-x')).toBe(true);
    expect(likeMatches(likePrefixPattern('50%'), '500-x')).toBe(false);
    expect(likeMatches(likePrefixPattern('a\\b'), 'a\\b-x')).toBe(true);
    expect(likeMatches(likePrefixPattern('a\\b'), 'a\\\\b')).toBe(false);
  });
});

describe('positions as SQL parameters and rows', () => {
  it('round-trips values beyond Number.MAX_SAFE_INTEGER exactly', () => {
    const position = { commit: 18446744073709551615n, prepare: 9007199254740993n };
    const [commit, prepare] = positionParams(position);
    expect(commit).toBe('18446744073709551615');
    expect(prepare).toBe('9007199254740993');
    expect(positionFromRow(commit, prepare)).toEqual(position);
  });
});

describe('schema names', () => {
  it('accepts plain lower-case identifiers only', () => {
    expect(() => assertSchemaName('steward_events')).not.toThrow();
    expect(() => assertSchemaName('es_1')).not.toThrow();
    for (const bad of ['', 'Events', '1events', 'a-b', 'a"b', 'x'.repeat(41), 'public; drop']) {
      expect(() => assertSchemaName(bad)).toThrow(/invalid event store schema name/);
    }
  });

  it('quotes identifiers and derives the channel', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(notifyChannel('steward_events')).toBe('steward_events_appended');
  });

  it('renders migrations into the schema', () => {
    const sql = renderMigration(MIGRATIONS[0]!, 'es_x');
    expect(sql).toContain('CREATE TABLE "es_x".events');
    expect(sql).not.toContain('{schema}');
  });

  it('derives a stable, schema-specific advisory lock key within bigint range', () => {
    const key = BigInt(migrationLockKey('steward_events'));
    expect(migrationLockKey('steward_events')).toBe(key.toString());
    expect(migrationLockKey('other')).not.toBe(key.toString());
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});

describe('jsonArrayParam', () => {
  /** Reads PostgreSQL's binary array format back: header, then each element's length and bytes. */
  function decode(buffer: Buffer): { dims: number; hasNulls: number; oid: number; length: number; lower: number; items: string[] } {
    const header = { dims: buffer.readInt32BE(0), hasNulls: buffer.readInt32BE(4), oid: buffer.readInt32BE(8), length: buffer.readInt32BE(12), lower: buffer.readInt32BE(16) };
    const items: string[] = [];
    let offset = 20;
    for (let i = 0; i < header.length; i++) {
      const size = buffer.readInt32BE(offset);
      items.push(buffer.toString('utf8', offset + 4, offset + 4 + size));
      offset += 4 + size;
    }
    expect(offset).toBe(buffer.length);
    return { ...header, items };
  }

  it('is a one-dimensional json array of the texts, byte lengths counted in UTF-8', () => {
    const texts = ['{"a":1}', 'null', JSON.stringify('ünïcödé 🚀 \\ "q"'), '[]'];
    expect(decode(jsonArrayParam(texts))).toEqual({ dims: 1, hasNulls: 0, oid: 114, length: 4, lower: 1, items: texts });
  });

  it('encodes an empty list', () => {
    expect(decode(jsonArrayParam([]))).toMatchObject({ dims: 1, length: 0, items: [] });
  });
});
