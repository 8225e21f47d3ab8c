import { usageEventIdFor } from './usage-events';

describe('usageEventIdFor (the dedup key of a usage call)', () => {
  it('gives the ids it always gave: a call recorded before an upgrade is still the same call after it', () => {
    expect(usageEventIdFor('ws_1', 'agent-a', 'call-1')).toBe('fa3b3e46-d433-83b1-83fe-c59ae7e6b6a2');
    expect(usageEventIdFor('wsp_01HZX', 'openai-proxy', 'chatcmpl-8x')).toBe('a63bf227-9053-8aba-9985-ad2255d5cdf2');
    expect(usageEventIdFor('ws:é', 'src:1', 'id with spaces and ü')).toBe('53e4b48c-bf68-8018-9f6f-2d68b93c04e4');
  });

  it('is a version 8 UUID with the RFC 4122 variant, distinct for each (workspace, source, id)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = usageEventIdFor(`ws_${i % 7}`, `source-${i % 3}`, `call-${i}`);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
    // the parts are length-prefixed: moving a character from one part to the next is another call
    expect(usageEventIdFor('ws', 'a:b', 'c')).not.toBe(usageEventIdFor('ws', 'a', 'b:c'));
  });
});
