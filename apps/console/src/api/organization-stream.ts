/**
 * The organization's live updates in the browser: a single-use ticket (EventSource sends no Authorization header),
 * then `GET …/stream?ticket=…`; each message invalidates the queries of its kinds (live-keys.ts), `event: reset`
 * every query of the organization. An error or a closed stream takes a new ticket and reopens from the last id seen
 * (`lastEventId`: a new EventSource cannot set the Last-Event-ID header), waiting longer after each failure in a
 * row. Closed when the component that opened it unmounts.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiProblem, unwrap } from './client';
import { keysOfMessage, keysOfReset, type LiveMessage, reconnectDelay } from './live-keys';
import { opsApi } from './ops.api';

/** connecting: the first ticket and open; live: open; reconnecting: after an error, until open again; off: refused (403, 404). */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

export function useOrganizationStream(orgId: string | undefined): StreamStatus {
  const queries = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('connecting');

  useEffect(() => {
    if (orgId === undefined || orgId === '' || typeof EventSource === 'undefined') return undefined;
    const organizationId = orgId;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastEventId: string | undefined;
    let failures = 0;
    let opens = 0;
    let closed = false;
    setStatus('connecting');

    const invalidate = (keys: ReadonlyArray<readonly unknown[]>) => {
      for (const queryKey of keys) void queries.invalidateQueries({ queryKey });
    };
    const remember = (event: MessageEvent) => {
      if (event.lastEventId !== '') lastEventId = event.lastEventId;
    };
    const retryLater = () => {
      if (closed) return;
      source?.close();
      source = undefined;
      failures += 1;
      setStatus('reconnecting');
      timer = setTimeout(() => void open(), reconnectDelay(failures));
    };

    async function open(): Promise<void> {
      let ticket: string;
      try {
        ticket = (await unwrap(opsApi.POST('/v1/organizations/{orgId}/stream-tickets', { params: { path: { orgId: organizationId } } }))).ticket;
      } catch (error) {
        // refused for good (no access, no such organization, signed out): no stream, no retries
        if (error instanceof ApiProblem && [401, 403, 404].includes(error.status)) {
          if (!closed) setStatus('off');
          return;
        }
        retryLater();
        return;
      }
      if (closed) return;
      const query = new URLSearchParams({ ticket });
      if (lastEventId !== undefined) query.set('lastEventId', lastEventId);
      const opened = new EventSource(`/v1/organizations/${encodeURIComponent(organizationId)}/stream?${query.toString()}`);
      source = opened;
      opened.onopen = () => {
        failures = 0;
        opens += 1;
        setStatus('live');
        // a reopen resumes after the last id (a replay, or a reset when it is too old); one without an id (no message
        // seen before the error) cannot resume: it refetches what may have changed meanwhile
        if (opens > 1 && lastEventId === undefined) invalidate(keysOfReset(organizationId));
      };
      opened.onmessage = (event: MessageEvent<string>) => {
        remember(event);
        let message: LiveMessage;
        try {
          message = JSON.parse(event.data) as LiveMessage;
        } catch {
          return;
        }
        invalidate(keysOfMessage(organizationId, message));
      };
      opened.addEventListener('reset', (event) => {
        remember(event as MessageEvent);
        invalidate(keysOfReset(organizationId));
      });
      // the browser would reopen the same URL itself, with a ticket already spent: a new ticket instead
      opened.onerror = () => retryLater();
    }

    void open();
    return () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      source?.close();
    };
  }, [orgId, queries]);

  return status;
}
