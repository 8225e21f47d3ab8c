/** What a live message of the organization's stream refetches in the console, and how long it waits to reopen. */
import { keysOfMessage, keysOfReset, reconnectDelay } from '@steward/console';

describe('the console’s live updates', () => {
  it('invalidates the overview for every kind, and each kind’s own screens once', () => {
    expect(keysOfMessage('org-1', { kind: 'workspaces', kinds: ['workspaces'] })).toEqual([
      ['organizations', 'org-1', 'overview'],
      ['organizations', 'org-1', 'workspaces'],
    ]);
    expect(keysOfMessage('org-1', { kind: 'billing', kinds: ['billing', 'credits', 'activity'] })).toEqual([
      ['organizations', 'org-1', 'overview'],
      ['organizations', 'org-1', 'billing'],
      ['organizations', 'org-1', 'activity'],
    ]);
    expect(keysOfMessage('org-1', { kind: 'announcement' })).toEqual([['organizations', 'org-1', 'overview'], ['announcements']]);
    // a kind this console does not know yet still refreshes the Dashboard
    expect(keysOfMessage('org-1', { kind: 'something-new' as 'workspaces', kinds: [] })).toEqual([['organizations', 'org-1', 'overview']]);
    expect(keysOfReset('org-1')).toEqual([['organizations', 'org-1'], ['announcements']]);
  });

  it('waits 1 s, then twice as long after each failure in a row, at most 30 s, with up to 20 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((attempt) => reconnectDelay(attempt, 0))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(reconnectDelay(1, 1)).toBe(1_200);
    expect(reconnectDelay(20, 0.5)).toBe(33_000);
  });
});
