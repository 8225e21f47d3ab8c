import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { Module, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { metrics, type MeterProvider } from '@opentelemetry/api';
import { createLogger, type Logger, type MetricsHandler } from '@steward/observability';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createApiController } from './api.controller';
import type { ConsoleSite } from './console/console-site';
import { ApiRouter } from './api-router';
import { httpTelemetry } from './http-telemetry.middleware';
import { IdempotencyStore } from './idempotency.store';
import { buildOpenApiDocument, type OpenApiInfo } from './openapi.document';
import { OPS_PATHS, createOpsController } from './ops.controller';
import { createProblemMapper } from './problem';
import { ProblemFilter, answerWithProblem, type ProblemAnswerDeps } from './problem.filter';
import { RateLimiter } from './rate-limiter';
import { RequestPipeline, type RateLimitSettings } from './request-pipeline';
import type { GatewayRequest } from './request-state';
import { RouteError, RouteErrorCode, RouteRegistry, type AnyRoute, type Authenticator, type Authorizer } from './route';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  byKind: {
    api_key: { limit: 6000, windowMs: 60_000 },
    user: { limit: 1200, windowMs: 60_000 },
    anonymous: { limit: 120, windowMs: 60_000 },
  },
  default: { limit: 600, windowMs: 60_000 },
};

export interface GatewayConfig {
  /** In front of every Redis key of the gateway (`steward:`; tests use env.redisPrefix). */
  readonly redisPrefix: string;
  /** Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  readonly rateLimits?: RateLimitSettings;
  readonly idempotency?: {
    /** Default 24 h. */
    readonly ttlMs?: number;
    /** The lease of an unfinished request on its key, renewed while it runs (a killed replica frees it within one lease). Default 5 s. */
    readonly lockTtlMs?: number;
    /** Refuse a POST without Idempotency-Key (400). Default false: the key is optional. */
    readonly required?: boolean;
  };
  readonly openApi?: OpenApiInfo;
  /** Per readiness check. Default 2 s. */
  readonly readinessTimeoutMs?: number;
  /**
   * Level of the one line logged per answered request (5xx are always `error`). Default `info`;
   * `debug` keeps them out of a busy gateway's logs (a line per request is a real share of its CPU).
   */
  readonly requestLogLevel?: 'info' | 'debug';
  /**
   * HTTP statuses of the domains' error codes (TEAM_ERROR_HTTP_STATUS, …), mapped like the gateway's own
   * (`code` on the thrown error). Gateway codes (NOT_FOUND, FORBIDDEN, …) need no entry and cannot be redefined.
   */
  readonly errorStatuses?: Readonly<Record<string, number>>;
}

export interface GatewayDeps {
  readonly routes: readonly AnyRoute[];
  readonly authenticator: Authenticator;
  /** Required as soon as one route has a permission. */
  readonly authorizer?: Authorizer;
  readonly redis: Redis;
  readonly pool: pg.Pool;
  readonly nats: NatsConnection;
  readonly config: GatewayConfig;
  readonly logger?: Logger;
  /** The web console served at `/` (apps/console/dist); none when absent. */
  readonly console?: ConsoleSite;
  /** From initTelemetry: where HTTP metrics go and what GET /metrics serves. Defaults to the global meter provider, no /metrics. */
  readonly telemetry?: { readonly meterProvider: MeterProvider; readonly metricsHandler: MetricsHandler | undefined };
}

export interface GatewayApp {
  readonly app: NestExpressApplication;
  readonly openApiDocument: Record<string, unknown>;
  /** Starts listening; resolves with the base URL (`http://127.0.0.1:8080`). Port 0 picks a free port. */
  listen(port: number, host?: string): Promise<string>;
  /** Graceful: /readyz answers 503 at once, in-flight requests finish, then the server closes. Injected clients stay open. */
  close(): Promise<void>;
}

function nestLogger(logger: Logger): LoggerService {
  const child = logger.child({ component: 'nest' });
  return {
    log: (message: unknown) => child.debug(String(message)),
    error: (message: unknown, ...rest: unknown[]) => child.error({ detail: rest }, String(message)),
    warn: (message: unknown) => child.warn(String(message)),
    debug: (message: unknown) => child.debug(String(message)),
    verbose: (message: unknown) => child.trace(String(message)),
    fatal: (message: unknown) => child.fatal(String(message)),
  };
}

/**
 * Hands a request that ApiRouter matches straight to the pipeline, with the params and query express would
 * have given it (its own query parser), and everything else (operational routes, 404/405, HEAD, paths that
 * only express's looser matching accepts) to express and Nest. The answers are the same either way; the
 * direct way skips express's router walk over every route and Nest's handler wrapping on every API
 * request. The request still gets the telemetry middleware
 * (request id, span, metrics, log line) first, and anything thrown becomes a problem document in the one
 * place express's errors do.
 */
function serveRoutesDirectly(
  app: NestExpressApplication,
  router: ApiRouter,
  serve: (route: AnyRoute, request: GatewayRequest, response: ServerResponse) => void,
  site: ConsoleSite | undefined,
): void {
  const express = app.getHttpAdapter().getInstance() as { get(setting: string): unknown };
  const parseQuery = express.get('query parser fn') as ((text: string | null) => Record<string, unknown>) | undefined;
  const server = app.getHttpServer() as Server;
  const listeners = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const match = router.match(request.method, request.url);
    if (match === undefined) {
      if (site?.serve(request, response)) return;
      for (const listener of listeners) listener.call(server, request, response);
      return;
    }
    const routed = request as GatewayRequest;
    routed.params = match.params;
    routed.query = parseQuery ? parseQuery(match.queryString) : {};
    serve(match.route, routed, response);
  });
}

/**
 * The gateway's HTTP application over the given routes: validation, problem
 * documents, idempotency, rate limits, request ids, logs, metrics and spans,
 * plus /healthz, /readyz, /metrics, /openapi.json and /docs.
 */
export async function createGatewayApp(deps: GatewayDeps): Promise<GatewayApp> {
  const registry = new RouteRegistry(deps.routes);
  if (!deps.authorizer && deps.routes.some((route) => route.permission !== null)) {
    throw new RouteError(RouteErrorCode.AuthorizerMissing, 'routes with a permission need an authorizer');
  }
  const logger = deps.logger ?? createLogger({ name: 'gateway' });
  const openApiDocument = buildOpenApiDocument(registry, deps.config.openApi ?? { title: 'Steward API', version: '1' });
  let shuttingDown = false;
  const problems = createProblemMapper(deps.config.errorStatuses);

  const pipeline = new RequestPipeline({
    authenticator: deps.authenticator,
    authorizer: deps.authorizer,
    rateLimiter: new RateLimiter(deps.redis, deps.config.redisPrefix),
    rateLimits: deps.config.rateLimits ?? DEFAULT_RATE_LIMITS,
    idempotency: new IdempotencyStore({
      redis: deps.redis,
      prefix: deps.config.redisPrefix,
      ...(deps.config.idempotency?.ttlMs !== undefined ? { ttlMs: deps.config.idempotency.ttlMs } : {}),
      ...(deps.config.idempotency?.lockTtlMs !== undefined ? { lockTtlMs: deps.config.idempotency.lockTtlMs } : {}),
    }),
    bodyLimitBytes: deps.config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requireIdempotencyKey: deps.config.idempotency?.required ?? false,
    problems,
  });

  const OpsController = createOpsController({
    readiness: {
      pool: deps.pool,
      nats: deps.nats,
      redis: deps.redis,
      ...(deps.config.readinessTimeoutMs !== undefined ? { timeoutMs: deps.config.readinessTimeoutMs } : {}),
    },
    metricsHandler: deps.telemetry?.metricsHandler,
    openApiDocument: () => openApiDocument,
    isShuttingDown: () => shuttingDown,
  });
  const ApiController = createApiController(registry.routes, pipeline);

  @Module({ controllers: [OpsController, ApiController] })
  class GatewayModule {}

  const app = await NestFactory.create<NestExpressApplication>(GatewayModule, new ExpressAdapter(), {
    bodyParser: false,
    logger: nestLogger(logger),
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.disable('etag');
  const allowedMethods = (path: string): readonly string[] => {
    if (OPS_PATHS.some((pattern) => pattern.test(path))) return ['GET'];
    return registry.allowedMethods(path);
  };
  const meter = (deps.telemetry?.meterProvider ?? metrics.getMeterProvider()).getMeter('steward-gateway');
  const telemetry = httpTelemetry({ logger, meter, requestLogLevel: deps.config.requestLogLevel ?? 'info' });
  app.use(telemetry);
  const problemDeps: ProblemAnswerDeps = { logger, allowedMethods, problems };
  app.useGlobalFilters(new ProblemFilter(problemDeps));
  await app.init();
  // errors raised by express itself, outside Nest's handlers (a path param that is not valid percent-encoding)
  app.use((error: unknown, request: IncomingMessage, response: ServerResponse, _next: () => void) => {
    answerWithProblem(error, request as GatewayRequest, response, problemDeps);
  });
  serveRoutesDirectly(app, new ApiRouter(registry.routes), (route, request, response) => {
    try {
      telemetry(request, response, () => {
        pipeline.handle(route, request, response).catch((error: unknown) => answerWithProblem(error, request, response, problemDeps));
      });
    } catch (error) {
      // as express would: nothing thrown before the pipeline takes the request may bring the process down
      answerWithProblem(error, request, response, problemDeps);
    }
  }, deps.console);

  return {
    app,
    openApiDocument,
    async listen(port, host = '127.0.0.1') {
      await app.listen(port, host);
      const address = app.getHttpServer().address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}`;
    },
    async close() {
      shuttingDown = true;
      await app.close();
    },
  };
}
