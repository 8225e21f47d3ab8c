import type { IncomingMessage } from 'node:http';

/** What the gateway learns about a request as it goes, for logs, metrics and spans. */
export interface RequestState {
  readonly requestId: string;
  /** The route template once routed (`/v1/workspaces/{wsId}`), `unmatched` for a 404/405. */
  route: string | undefined;
  principal: string | undefined;
}

const STATE = Symbol('steward.gateway.request');

/** The request as express hands it over: params and query filled by its router. */
export type GatewayRequest = IncomingMessage & {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  [STATE]?: RequestState;
};

export function attachState(request: IncomingMessage, state: RequestState): void {
  (request as GatewayRequest)[STATE] = state;
}

export function requestState(request: IncomingMessage): RequestState {
  const state = (request as GatewayRequest)[STATE];
  if (state) return state;
  const fallback: RequestState = { requestId: 'unknown', route: undefined, principal: undefined };
  attachState(request, fallback);
  return fallback;
}

/** The path of the URL without its query (what problem documents name as `instance`). */
export function requestPath(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}
