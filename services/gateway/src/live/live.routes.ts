import { z } from 'zod';
import { isAuthPrincipal } from '../auth/steward.authorizer';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../route';
import { PathId } from '../routes/route-params';
import type { LiveEventHub } from './live-event.hub';
import { LIVE_KINDS, liveAccessOf } from './live-message';
import { liveStream } from './live-stream';
import type { StreamTickets } from './stream-ticket';

const TAGS = ['live updates'];
const SequenceText = z.string().regex(/^\d{1,15}$/, 'a sequence number (the id of the last message received)');

export interface LiveRoutesDeps {
  readonly hub: LiveEventHub;
  readonly tickets: StreamTickets;
  /** Default 15 s. */
  readonly heartbeatMs?: number;
}

const LiveMessageDoc = {
  type: 'object',
  description:
    'One SSE message (`id`: the event\'s sequence, resume with Last-Event-ID; data below). An `event: reset` says the events after the ' +
    "client's Last-Event-ID are no longer kept: refetch everything. Comments (`: heartbeat`) come every 15 s.",
  properties: {
    kind: { type: 'string', enum: LIVE_KINDS },
    kinds: { type: 'array', items: { type: 'string', enum: LIVE_KINDS } },
    type: { type: 'string', description: 'the event type (CreditsGranted, WorkspaceCreated, …)' },
    eventId: { type: 'string' },
    organizationId: { type: ['string', 'null'] },
    workspaceId: { type: ['string', 'null'] },
    occurredAt: { type: 'string', format: 'date-time' },
  },
};

function callerKey(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/** The organization's live updates (Server-Sent Events) and the tickets a browser opens them with. */
export function liveRoutes(deps: LiveRoutesDeps): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'openOrganizationStream',
      method: 'GET',
      path: '/v1/organizations/{orgId}/stream',
      summary: 'Live updates of the organization dashboard (Server-Sent Events)',
      description:
        'Workspace counts, billing totals, credits, activity entries, budget alerts and announcements as they change, in order, for the ' +
        'kinds your role may read (billing and credits with billing.read). Resume with the Last-Event-ID header (or `lastEventId`). ' +
        'A browser, whose EventSource sends no Authorization header, passes a ticket from POST …/stream-tickets as `ticket`. ' +
        'At most 5 open streams per caller (429 beyond).',
      tags: TAGS,
      permission: 'organization.read',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      query: z.strictObject({
        ticket: z.string().min(1).max(200).optional(),
        lastEventId: SequenceText.optional(),
      }),
      headers: [{ name: 'Last-Event-ID', description: 'The id of the last message received: the stream resumes after it.' }],
      openApi: { responseContent: { 200: { mediaType: 'text/event-stream', schema: LiveMessageDoc } } },
      responses: { 200: null },
      handler: ({ params, query, headers, principal, signal }) => {
        const header = headers['last-event-id'];
        const headerText = Array.isArray(header) ? header[0] : header;
        let after: number | undefined;
        if (headerText !== undefined && headerText !== '') {
          if (!SequenceText.safeParse(headerText).success) {
            throw new GatewayError(GatewayErrorCode.Validation, 'Last-Event-ID is not a message id of this stream', { errors: [{ field: 'header.Last-Event-ID', message: 'a sequence number' }] });
          }
          after = Number(headerText);
        } else if (query.lastEventId !== undefined) after = Number(query.lastEventId);
        const caller = principal as Principal;
        if (!isAuthPrincipal(caller)) throw new GatewayError(GatewayErrorCode.Forbidden, 'live updates are for people of the organization');
        const release = deps.hub.acquire(callerKey(caller));
        if (!release) {
          throw new GatewayError(GatewayErrorCode.RateLimited, `at most ${deps.hub.maxConnectionsPerCaller} live streams per caller are open at once`, { retryAfterSeconds: 5 });
        }
        return {
          status: 200,
          headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
          stream: liveStream({
            hub: deps.hub,
            organizationId: params.orgId,
            access: liveAccessOf(caller),
            after,
            ...(signal ? { signal } : {}),
            ...(deps.heartbeatMs !== undefined ? { heartbeatMs: deps.heartbeatMs } : {}),
            onEnd: release,
          }),
        };
      },
    }),
    defineRoute({
      operationId: 'createStreamTicket',
      method: 'POST',
      path: '/v1/organizations/{orgId}/stream-tickets',
      summary: 'A single-use ticket (60 s) that opens the live stream from a browser',
      description:
        "A browser's EventSource cannot send an Authorization header: it opens GET …/stream?ticket=<ticket> instead. The ticket stands " +
        'for your credentials once, for this organization. Takes no Idempotency-Key: a ticket is never stored for a replay.',
      tags: TAGS,
      permission: 'organization.read',
      scope: 'organization',
      idempotencyKey: 'ignored',
      params: z.strictObject({ orgId: PathId }),
      // nothing to say: may be sent without a body
      body: z.strictObject({}),
      responses: { 201: z.object({ ticket: z.string(), expiresAt: z.string() }) },
      handler: async ({ params, headers }) => {
        const authorization = headers.authorization;
        if (typeof authorization !== 'string') {
          throw new GatewayError(GatewayErrorCode.BadRequest, 'a ticket is issued for an Authorization header', { errors: [{ field: 'header.Authorization', message: 'required' }] });
        }
        return { status: 201, headers: { 'cache-control': 'no-store' }, body: await deps.tickets.issue(authorization, params.orgId) };
      },
    }),
  ];
}
