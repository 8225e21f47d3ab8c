/**
 * The gateway process: the public HTTP API. Serves the operational routes
 * (/healthz, /readyz, /metrics, /openapi.json, /docs) and the team routes of
 * `./routes`, authenticating with user tokens, API
 * keys and (when OIDC_* are set) OIDC JWTs, authorizing by @steward/auth's
 * matrix over the team read model.
 *
 * Environment: PORT (8080), GATEWAY_HOST (127.0.0.1), GATEWAY_REDIS_PREFIX (steward:),
 * GATEWAY_REQUEST_LOG_LEVEL (info | debug), GATEWAY_READ_YOUR_WRITES_TIMEOUT_MS (5000),
 * GATEWAY_CONSOLE_DIR (apps/console/dist: the web console served at /), GATEWAY_READ_YOUR_WRITES (on | off: benchmarks only), GATEWAY_READ_YOUR_WRITES_DOWN_GRACE_MS (600000), OIDC_ISSUER / OIDC_AUDIENCE / OIDC_JWKS_URL,
 * OIDC_CONSOLE_CLIENT_ID / OIDC_CONSOLE_SCOPES (the console's single sign-on),
 * DATABASE_URL, NATS_URL, NATS_PREFIX, REDIS_URL, LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT.
 * Prints `gateway listening` with the URL; stops cleanly on SIGTERM / SIGINT.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createOidcVerifierFromEnv } from '@steward/auth';
import { BillingReadRepository, planCatalogueFromEnv } from '@steward/billing';
import { BudgetAdmission, BudgetCounters, BudgetReadRepository, HoldHorizon, budgetCountersPrefixFromEnv } from '@steward/budgets';
import { loadConfig } from '@steward/config';
import { BILLING_ERROR_HTTP_STATUS, BUDGET_ERROR_HTTP_STATUS, INVOICE_ERROR_HTTP_STATUS, JOB_ERROR_HTTP_STATUS, NOTIFICATION_ERROR_HTTP_STATUS, MODEL_SETTINGS_ERROR_HTTP_STATUS, RUNTIME_ERROR_HTTP_STATUS, TEAM_ERROR_HTTP_STATUS } from '@steward/contracts';
import { CommandClient, connectNats, ensureUsageIngestStream } from '@steward/messaging';
import { createLogger, initTelemetry } from '@steward/observability';
import { ApiKeyUsageRecorder, TEAM_PROJECTION, TeamCredentialRepository, WorkspaceOrganizations, ensureActivityStream, migrateUserTokens } from '@steward/team-rbac';
import { StewardAuthenticator, StewardAuthorizer, assertRoutePermissions } from './auth';
import { ProjectionProgress, ReadYourWrites, ReplicaSync, readYourWritesSettingsFromEnv } from './read-your-writes';
import { ActivityReadBuffer } from './activity-read.buffer';
import { ConsoleSite } from './console/console-site';
import { ReadModelCache } from './read-model.cache';
import { DEFAULT_RATE_LIMITS, createGatewayApp } from './gateway.app';
import type { RateLimitSettings } from './request-pipeline';
import { CreditSuspensions, OidcDiscovery, billingCards, billingRoutes, budgetRoutes, checkoutProviderFromEnv, invoiceRoutes, jobRoutes, notificationRoutes, modelRoutes, oidcConsoleConfigFromEnv, runtimeRoutes, signInRoutes, teamRoutes, usageRoutes, installOtlpTranscoder, otlpRoutes, UsageIngestPublisher, usageIngestRoutes, usageIngestStreamOptionsFromEnv } from './routes';

/** Requests per minute per principal kind: GATEWAY_RATE_LIMIT_USER, _API_KEY, _ANONYMOUS (defaults as DEFAULT_RATE_LIMITS). */
function rateLimitsFromEnv(env: NodeJS.ProcessEnv): RateLimitSettings {
  const perMinute = (name: string, fallback: number): { limit: number; windowMs: number } => {
    const text = env[name];
    const limit = text === undefined || text === '' ? fallback : Number(text);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`${name} must be a positive whole number of requests per minute`);
    return { limit, windowMs: 60_000 };
  };
  const defaults = DEFAULT_RATE_LIMITS.byKind;
  return {
    byKind: {
      api_key: perMinute('GATEWAY_RATE_LIMIT_API_KEY', defaults.api_key?.limit ?? 6000),
      user: perMinute('GATEWAY_RATE_LIMIT_USER', defaults.user?.limit ?? 1200),
      anonymous: perMinute('GATEWAY_RATE_LIMIT_ANONYMOUS', defaults.anonymous?.limit ?? 120),
    },
    default: DEFAULT_RATE_LIMITS.default,
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ serviceName: 'steward-gateway' });
  const logger = createLogger({ name: 'gateway' });
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.GATEWAY_HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
  const oidc = createOidcVerifierFromEnv();
  const consoleOidc = oidcConsoleConfigFromEnv(oidc?.config);
  const discovery = consoleOidc === undefined ? undefined : new OidcDiscovery(consoleOidc.issuer);
  // read early so the console's CSP names the token endpoint from the first page; a failure is retried on use
  discovery?.endpoints().catch((error: unknown) => logger.warn({ err: error }, 'OIDC discovery failed; the console retries when asked'));

  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  // the team's user-token table the authenticator reads exists whichever process starts first
  await migrateUserTokens(pool);
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const authorizer = new StewardAuthorizer({ workspaces: new WorkspaceOrganizations({ db }) });
  // auto-pipelining: the rate-limit calls of concurrent requests leave in one write
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  const nats = await connectNats({ servers: config.natsUrl, name: 'steward-gateway' });
  await ensureActivityStream(nats.jsm, config.natsPrefix, { replicas: config.natsStreamReplicas });
  const commands = new CommandClient({ servers: config.natsUrl, name: `steward-gateway-${process.pid}` });

  const activityReads = new ActivityReadBuffer({ nc: nats.nc, natsPrefix: config.natsPrefix, logger });
  // One LISTEN connection follows every projection's progress: read-your-writes waits on it, caches empty on it.
  const downGrace = process.env.GATEWAY_READ_YOUR_WRITES_DOWN_GRACE_MS;
  const removalGraceMs = downGrace === undefined || downGrace === '' ? undefined : Number(downGrace);
  if (removalGraceMs !== undefined && !(Number.isInteger(removalGraceMs) && removalGraceMs >= 0)) {
    throw new Error('GATEWAY_READ_YOUR_WRITES_DOWN_GRACE_MS must be a whole number of milliseconds');
  }
  const progress = new ProjectionProgress({ connectionString: config.databaseUrl, db, logger, ...(removalGraceMs !== undefined ? { removalGraceMs } : {}) });
  await progress.start();
  const redisPrefix = process.env.GATEWAY_REDIS_PREFIX ?? 'steward:';
  const replicas = new ReplicaSync({ nc: nats.nc, redis, natsPrefix: config.natsPrefix, redisPrefix, progress, onSynced: () => emptyCaches(), logger });
  // The member list and other hot team reads are kept until the team projection signals a change, and served
  // only while this replica's registration is current (it hears every other replica's team writes).
  const teamReadCache = new ReadModelCache(TEAM_PROJECTION, {
    pool,
    progress: { get listening() { return replicas.trusted(); }, onProgress: (name, listener) => progress.onProgress(name, listener) },
  });
  await teamReadCache.start();
  // Credentials and memberships likewise: cleared when the team projection applies a change (its progress notice).
  // The first lease comes with replicas.start() below; until then nothing is served from either cache.
  const authenticator = new StewardAuthenticator({
    pool,
    credentials: new TeamCredentialRepository({ db }),
    apiKeyUse: new ApiKeyUsageRecorder({ db }),
    oidc,
    logger,
    cache: { trusted: () => replicas.trusted() },
  });
  progress.onProgress(TEAM_PROJECTION, () => authenticator.invalidate());
  const emptyCaches = (): void => {
    authenticator.invalidate();
    teamReadCache.clear();
  };
  await replicas.start();
  const readYourWrites = new ReadYourWrites({ progress, replicas, onSynced: emptyCaches, ...readYourWritesSettingsFromEnv(process.env) });
  // billing: the plan catalogue (STEWARD_BILLING_PLANS) and the time zone of accounts not opened yet, as the billing service reads them
  const billing = { db, catalogue: planCatalogueFromEnv(), defaultTimeZone: process.env.STEWARD_BILLING_TIME_ZONE || 'UTC' };
  const routes = teamRoutes({
    billingCards: billingCards(billing),
    commands,
    natsPrefix: config.natsPrefix,
    readYourWrites,
    db,
    pool,
    teamReadCache,
    js: nats.js,
    activityReads,
    logger,
  });
  // usage ingest: the stream's limits from USAGE_INGEST_MAX_MESSAGES / _MAX_BYTES, read alike by usage-metering (past them: 429)
  await ensureUsageIngestStream(nats.jsm, usageIngestStreamOptionsFromEnv(process.env, config.natsPrefix));
  const usageIngest = new UsageIngestPublisher({ nc: nats.nc, js: nats.js, natsPrefix: config.natsPrefix });
  // an organization whose credits are exhausted is refused new usage with a 402 (billing's suspension)
  const suspensions = new CreditSuspensions({ db });
  routes.push(...usageIngestRoutes({ publisher: usageIngest, authorizer, mayIngest: (organizationId) => suspensions.assertMayIngest(organizationId) }));
  routes.push(...jobRoutes({ commands, natsPrefix: config.natsPrefix, readYourWrites, db }));
  // OTLP/HTTP traces: GenAI spans → jobs and steps (cmd.jobs.*) and usage (the ingest stream)
  routes.push(
    ...otlpRoutes({
      commands,
      natsPrefix: config.natsPrefix,
      readYourWrites,
      authorizer,
      usage: usageIngest,
    }),
  );
  // chargeback: the Usage Analytics queries and the monthly statement (workspace from the query, walled in the handler);
  // the statement's credits at the organization's plan rate (billing)
  const billingReads = new BillingReadRepository(db);
  routes.push(...usageRoutes({ db, creditsPerUsdOf: (organizationId) => billingReads.creditsPerUsd(organizationId, billing.catalogue) }));
  // model settings (admin only): prices, API keys (set/clear over cmd.usage.*), the built-in catalogue
  routes.push(...modelRoutes({ commands, natsPrefix: config.natsPrefix, readYourWrites, db }));
  // runtime environments: provider catalogue, runtimes per category, defaults, connection tests (cmd.runtime.*)
  routes.push(...runtimeRoutes({ commands, natsPrefix: config.natsPrefix, readYourWrites, db }));
  // how the console signs in (public): user tokens, and single sign-on when OIDC_CONSOLE_CLIENT_ID is set
  routes.push(...signInRoutes({ oidc: consoleOidc && discovery ? { config: consoleOidc, discovery } : undefined }));
  // billing: the cards, plan, credits, the ledger (cmd.billing.*)
  routes.push(
    ...billingRoutes({ ...billing, payments: checkoutProviderFromEnv(process.env, { commands, natsPrefix: config.natsPrefix, readYourWrites }), commands, natsPrefix: config.natsPrefix, readYourWrites }),
  );
  // invoices, payments and the payment provider (cmd.billing.*)
  routes.push(...invoiceRoutes({ commands, natsPrefix: config.natsPrefix, readYourWrites, db }));
  // budgets (cmd.budgets.*), their alerts, and reservations admitted on the counter store (this Redis)
  await HoldHorizon.migrate(db);
  const admission = new BudgetAdmission({
    counters: new BudgetCounters({ redis, prefix: budgetCountersPrefixFromEnv(process.env) }),
    reads: new BudgetReadRepository(db),
    horizon: new HoldHorizon(db),
  });
  routes.push(...budgetRoutes({ commands, natsPrefix: config.natsPrefix, readYourWrites, db, admission, defaultTimeZone: billing.defaultTimeZone }));
  // notification channels, their delivery log, dead letters and resend (cmd.notifications.*)
  routes.push(...notificationRoutes({ commands, natsPrefix: config.natsPrefix, readYourWrites, db }));
  assertRoutePermissions(routes);
  const gateway = await createGatewayApp({
    routes,
    authenticator,
    authorizer,
    redis,
    pool,
    nats: nats.nc,
    config: {
      redisPrefix,
      requestLogLevel: process.env.GATEWAY_REQUEST_LOG_LEVEL === 'debug' ? 'debug' : 'info',
      errorStatuses: { ...TEAM_ERROR_HTTP_STATUS, ...JOB_ERROR_HTTP_STATUS, ...MODEL_SETTINGS_ERROR_HTTP_STATUS, ...RUNTIME_ERROR_HTTP_STATUS, ...BILLING_ERROR_HTTP_STATUS, ...INVOICE_ERROR_HTTP_STATUS, ...BUDGET_ERROR_HTTP_STATUS, ...NOTIFICATION_ERROR_HTTP_STATUS },
      rateLimits: rateLimitsFromEnv(process.env),
    },
    logger,
    telemetry,
    // the web console's build (npm start builds it); GATEWAY_CONSOLE_DIR serves another one
    // with single sign-on, the browser exchanges its code at the provider's token endpoint: connect-src names it
    console: new ConsoleSite(process.env.GATEWAY_CONSOLE_DIR ?? join(process.cwd(), 'apps', 'console', 'dist'), () => {
      if (discovery === undefined) return [];
      const known = discovery.current();
      if (known === undefined) discovery.endpoints().catch(() => undefined);
      if (known === undefined) return [];
      const endpoint = new URL(known.tokenEndpoint);
      return [`${endpoint.origin}${endpoint.pathname}`];
    }),
  });
  // protobuf and gzip OTLP bodies become the JSON request the /v1/traces route reads
  installOtlpTranscoder(gateway.app.getHttpServer());
  const url = await gateway.listen(port, host);
  logger.info({ url, docs: `${url}/docs`, routes: routes.length, oidc: oidc !== undefined }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    stopping ??= (async () => {
      logger.info({ signal }, 'gateway stopping');
      await gateway.close();
      await replicas.close();
      await teamReadCache.close();
      await progress.close();
      await activityReads.close();
      await commands.close();
      await nats.close();
      redis.disconnect();
      await db.destroy();
      logger.info('gateway stopped');
      await telemetry.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'gateway did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('gateway failed to start:', error);
  process.exit(1);
});
