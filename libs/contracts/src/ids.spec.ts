import { z } from 'zod';
import { eventIdFor } from './ids';

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
