/**
 * What a live message invalidates: the TanStack Query keys (prefixes) each kind of the organization's stream
 * touches (GET /v1/organizations/{orgId}/stream, README "Live updates"). Pure data, shared with the tests.
 */

export type LiveKind = 'workspaces' | 'billing' | 'credits' | 'activity' | 'budget-alert' | 'announcement';

/** A message of the stream: never the event's data, only what changed (the console refetches). */
export interface LiveMessage {
  kind: LiveKind;
  kinds: LiveKind[];
  type: string;
  eventId: string;
  organizationId: string;
  workspaceId: string | null;
  occurredAt: string;
}

type Key = readonly unknown[];

/** The query-key prefixes of one kind (the Dashboard's overview holds every kind's figures). */
export function keysOfKind(orgId: string, kind: string): Key[] {
  const overview = ['organizations', orgId, 'overview'];
  switch (kind) {
    case 'workspaces':
      // the switcher's list too
      return [overview, ['organizations', orgId, 'workspaces']];
    case 'billing':
    case 'credits':
      return [overview, ['organizations', orgId, 'billing']];
    case 'activity':
      return [overview, ['organizations', orgId, 'activity']];
    case 'budget-alert':
      return [overview];
    case 'announcement':
      return [overview, ['announcements']];
    default:
      // a kind this console does not know yet: the Dashboard is refetched, nothing else
      return [overview];
  }
}

/** The distinct key prefixes a message invalidates (`kinds`, else its `kind`). */
export function keysOfMessage(orgId: string, message: Pick<LiveMessage, 'kind'> & { kinds?: readonly string[] }): Key[] {
  const kinds = message.kinds !== undefined && message.kinds.length > 0 ? message.kinds : [message.kind];
  const seen = new Map<string, Key>();
  for (const kind of kinds) for (const key of keysOfKind(orgId, kind)) seen.set(JSON.stringify(key), key);
  return [...seen.values()];
}

/** What `event: reset` invalidates: every query of the organization, and the caller's announcements. */
export function keysOfReset(orgId: string): Key[] {
  return [['organizations', orgId], ['announcements']];
}

/** The wait before the n-th reconnection in a row (1 s doubling, at most 30 s, with up to 20 % jitter). */
export function reconnectDelay(attempt: number, random: number = Math.random()): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + 0.2 * random));
}
