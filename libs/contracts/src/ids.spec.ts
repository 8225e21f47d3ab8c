import { z } from 'zod';
import { ID_KINDS, ID_PATTERNS, ID_PREFIXES, ResourceIdSchema, derivedId, eventIdFor, isCurrentId, newId } from './ids';

describe('eventIdFor', () => {
  it('is stable for one command and index', () => {
    expect(eventIdFor('cmd-1', 0)).toBe(eventIdFor('cmd-1', 0));
  });

  it('differs across indexes and commands', () => {
    const ids = new Set([eventIdFor('cmd-1', 0), eventIdFor('cmd-1', 1), eventIdFor('cmd-2', 0)]);
    expect(ids.size).toBe(3);
  });

  it('is a valid UUID', () => {
    expect(z.uuid().safeParse(eventIdFor('anything at all', 7)).success).toBe(true);
  });
});

describe('resource ids: <prefix>_<26 lower-case Crockford base32>', () => {
  it.each(ID_KINDS)('%s: a new id and a derived id have the kind’s prefix and the one shape', (kind) => {
    for (const id of [newId(kind), derivedId(kind, 'seed')]) {
      expect(id).toMatch(new RegExp(`^${ID_PREFIXES[kind]}_[0-7][0-9a-hjkmnp-tv-z]{25}$`));
      expect(isCurrentId(kind, id)).toBe(true);
      expect(ResourceIdSchema.safeParse(id).success).toBe(true);
    }
  });

  it('a new id is a ULID: its first ten characters are the milliseconds, so ids sort by creation time', () => {
    const at = Date.UTC(2026, 11, 7, 1, 30);
    const earlier = newId('workspace', at);
    const later = newId('workspace', at + 1);
    expect(earlier < later).toBe(true);
    // the ULID of that instant, by the spec's own encoding (48-bit big-endian milliseconds, Crockford base32)
    expect(earlier.slice(3, 13)).toBe(crockfordTime(at));
    expect(new Set(Array.from({ length: 1000 }, () => newId('job', at))).size).toBe(1000);
  });

  it('a derived id is the same for the same seed, and differs across seeds and kinds', () => {
    expect(derivedId('organization', 'cmd-1')).toBe(derivedId('organization', 'cmd-1'));
    expect(derivedId('organization', 'cmd-1')).not.toBe(derivedId('organization', 'cmd-2'));
    expect(derivedId('organization', 'cmd-1').slice(4)).not.toBe(derivedId('workspace', 'cmd-1').slice(3));
  });

  it('the patterns hold one kind each', () => {
    expect(ID_PATTERNS.workspace.test(newId('organization'))).toBe(false);
    expect(isCurrentId('organization', 'org-0123456789abcdef0123456789abcdef')).toBe(false);
    expect(isCurrentId('organization', `org_${'8'.repeat(26)}`)).toBe(false);
    expect(isCurrentId('organization', `org_${'0'.repeat(25)}i`)).toBe(false);
  });

  it('older ids stay valid wherever an id is validated', () => {
    const older = [
      'org-0123456789abcdef0123456789abcdef', // the gateway's before
      'org_0123456789abcdef01234567', // the bootstrap's before
      'usr_0123456789abcdef', // the bootstrap's owner
      'u-0123456789abcdef0123456789abcdef', // a person who accepted an invitation
      '6f1c2a44-0b1e-4f4e-9d3b-1a2b3c4d5e6f', // an API key issued over NATS with generateApiKey's id
      'ws-1',
      'org_someone_else',
    ];
    for (const id of older) expect(ResourceIdSchema.safeParse(id).success).toBe(true);
    for (const id of ['', 'a/b', 'ws 1', 'ws.1', 'x'.repeat(101)]) expect(ResourceIdSchema.safeParse(id).success).toBe(false);
  });
});

/** The ULID time part, written out independently of newId: ten base32 digits of the 48-bit milliseconds. */
function crockfordTime(ms: number): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let text = '';
  let rest = ms;
  for (let index = 0; index < 10; index++) {
    text = alphabet[rest % 32] + text;
    rest = Math.floor(rest / 32);
  }
  return text;
}
