/**
 * The team routes over real HTTP, with everything behind them in-process: the
 * team-rbac handlers as a Nest microservice on NATS, the team and activity
 * projections (ProjectionHost), the activity read consumer, PostgreSQL, Redis.
 */
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Kysely, PostgresDialect } from 'kysely';
import { Redis } from 'ioredis';
import { TEAM_ERROR_HTTP_STATUS } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { CommandClient, commandTransportOptions, connectNats, natsNames, type DurableConsumer, type NatsClients } from '@steward/messaging';
import { createLogger } from '@steward/observability';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { ActivityReadRecorder, TeamReadRepository, runActivityReadConsumer, teamReadModelProjections, type ResourceRead } from '../../../team-rbac/src/read-models';
import { matrixAuthorizer } from '../../../team-rbac/src/shared/team-authorizer';
import { TeamRbacModule } from '../../../team-rbac/src/team-rbac.module';
import { createGatewayApp, type GatewayApp } from '../../src';
import { teamRoutes } from '../../src/routes';
import { TeamRouteKit } from '../../src/routes/team-route.support';
import { testAuth, type TestAuth } from './team-test-auth';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  readonly body: any;
}

export interface TeamRoutesHarness {
  readonly env: TestEnv;
  readonly store: PostgresEventStore;
  readonly team: TeamReadRepository;
  readonly auth: TestAuth;
  readonly base: string;
  call(method: string, path: string, options?: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** Until both projections have applied the newest event of the stream. */
  caughtUp(streamId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTeamRoutesHarness(): Promise<TeamRoutesHarness> {
  const env = await createTestEnv();
  const store = new PostgresEventStore({ pool: env.pool, schema: 'team_events' });
  await store.migrate();
  const names = natsNames(env.natsPrefix);
  const service: INestMicroservice = await NestFactory.createMicroservice(TeamRbacModule.register({ store, names, authorize: matrixAuthorizer }), {
    ...commandTransportOptions({ servers: env.natsUrl, queue: 'team-rbac', gracePeriodMs: 100 }),
    logger: false,
  });
  await service.listen();
  const host = new ProjectionHost({ pool: env.pool, store, projections: teamReadModelProjections, meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
  await host.start();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
  const nats: NatsClients = await connectNats({ servers: env.natsUrl, name: 'team-routes-test' });
  const reads: DurableConsumer<ResourceRead> = await runActivityReadConsumer({ js: nats.js, jsm: nats.jsm, prefix: env.natsPrefix, recorder: new ActivityReadRecorder({ db }) });
  const commands = new CommandClient({ servers: env.natsUrl, name: 'team-routes-gateway' });
  await commands.connect();
  const redis = new Redis(env.redisUrl);
  const team = new TeamReadRepository({ db });
  const logger = createLogger({ name: 'team-routes-test', level: 'warn' });

  // the auth helper resolves a workspace's organization the way the routes do
  const lookups = new TeamRouteKit({ commands, natsPrefix: env.natsPrefix, db, js: nats.js, logger, issueUserToken: async () => ({ token: '' }) });
  const auth = testAuth({ team, organizationOfWorkspace: (workspaceId) => lookups.organizationOfWorkspace(workspaceId) });
  const gateway: GatewayApp = await createGatewayApp({
    routes: teamRoutes({ commands, natsPrefix: env.natsPrefix, db, js: nats.js, logger, issueUserToken: auth.issueUserToken }),
    authenticator: auth.authenticator,
    authorizer: auth.authorizer,
    redis,
    pool: env.pool,
    nats: nats.nc,
    config: { redisPrefix: env.redisPrefix, errorStatuses: TEAM_ERROR_HTTP_STATUS, requestLogLevel: 'debug' },
    logger,
  });
  const base = await gateway.listen(0);

  return {
    env,
    store,
    team,
    auth,
    base,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.auth) headers.authorization = options.auth;
      let body: string | undefined;
      if (options.raw !== undefined || options.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = options.raw ?? JSON.stringify(options.body);
      }
      const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, text, body: parsed };
    },
    async caughtUp(streamId) {
      const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
      if (!last) throw new Error(`${streamId} is empty`);
      await Promise.all([host.runner('team').waitForPosition(last.position), host.runner('activity').waitForPosition(last.position)]);
    },
    async close() {
      await gateway.close();
      await reads.stop();
      await host.stop();
      await commands.close();
      await service.close();
      await nats.close();
      const keys = await redis.keys(`${env.redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await store.close();
      await env.dispose();
    },
  };
}
