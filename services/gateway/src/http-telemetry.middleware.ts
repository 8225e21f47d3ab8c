import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Meter } from '@opentelemetry/api';
import type { Logger } from '@steward/observability';
import { attachState, requestPath, type RequestState } from './request-state';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** Seconds: fine below 25 ms, where the gateway should answer. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/**
 * First on every request: the request id (the client's X-Request-Id when it
 * is sane, else a new one, echoed back), a SERVER span continuing the
 * incoming traceparent, and once the response is done the request count,
 * duration histogram and one log line (no bodies, no headers).
 */
export function httpTelemetry(deps: { logger: Logger; meter: Meter; requestLogLevel: 'info' | 'debug' }): Middleware {
  const tracer = trace.getTracer('steward-gateway');
  const duration = deps.meter.createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  // Counted here and read by the exporter when it collects: the SDK would hash the attributes of every add().
  const answered = new Map<string, { readonly attributes: Attributes; count: number }>();
  const requests = deps.meter.createObservableCounter('http.server.requests', { description: 'HTTP server requests answered' });
  requests.addCallback((result) => {
    for (const { attributes, count } of answered.values()) result.observe(count, attributes);
  });

  return (request, response, next) => {
    const started = performance.now();
    const incoming = request.headers[REQUEST_ID_HEADER];
    const requestId = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    const state: RequestState = { requestId, route: undefined, principal: undefined };
    attachState(request, state);
    response.setHeader(REQUEST_ID_HEADER, requestId);
    response.setHeader('x-content-type-options', 'nosniff');

    const method = request.method ?? 'GET';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': requestPath(request) } }, parent);

    response.once('close', () => {
      const route = state.route ?? 'unmatched';
      const status = response.statusCode;
      const seconds = (performance.now() - started) / 1000;
      const key = `${method} ${status} ${route}`;
      let counted = answered.get(key);
      if (counted === undefined) {
        counted = { attributes: { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status }, count: 0 };
        answered.set(key, counted);
      }
      counted.count += 1;
      duration.record(seconds, counted.attributes);
      span.updateName(`${method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status, 'steward.request_id': requestId });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      const level = status >= 500 ? 'error' : deps.requestLogLevel;
      if (!deps.logger.isLevelEnabled(level)) return;
      const line = {
        requestId,
        method,
        route,
        path: requestPath(request),
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
        ...(state.principal ? { principal: state.principal } : {}),
        ...(response.writableFinished ? {} : { aborted: true }),
      };
      context.with(trace.setSpan(parent, span), () => {
        if (status >= 500) deps.logger.error(line, 'request failed');
        else deps.logger[deps.requestLogLevel](line, 'request');
      });
    });

    context.with(trace.setSpan(parent, span), next);
  };
}
