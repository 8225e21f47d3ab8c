/**
 * The team routes over real HTTP, with everything behind them in-process: the
 * team context (services/team-rbac/test/team-harness.ts: the handlers on NATS,
 * the team and activity projections), the activity read consumer, the gateway's own
 * StewardAuthenticator / StewardAuthorizer, the team's user tokens, PostgreSQL, Redis.
 */
import { Redis } from 'ioredis';
import { TEAM_ERROR_HTTP_STATUS } from '@steward/contracts';
import type { PostgresEventStore } from '@steward/event-store';
import { CommandClient, connectNats, type DurableConsumer, type NatsClients } from '@steward/messaging';
import { createLogger } from '@steward/observability';
import type { TestEnv } from '@steward/testing';
import { ActivityReadRecorder, USER_TOKENS_TABLE, WorkspaceOrganizations, runActivityReadConsumer, type ResourceRead } from '@steward/team-rbac';
import { TeamHarness, type TeamReads } from '../../../services/team-rbac/test/team-harness';
import { createGatewayApp, type GatewayApp } from '../../../services/gateway/src';
import { StewardAuthenticator, StewardAuthorizer, assertRoutePermissions } from '../../../services/gateway/src/auth';
import { UserTokenStore } from '../../../services/team-rbac/src/user-tokens/user-token.store';
import { ProjectionProgress, ReadYourWrites } from '../../../services/gateway/src/read-your-writes';
import { teamRoutes } from '../../../services/gateway/src/routes';

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
  readonly team: TeamReads;
  /** The team context behind the gateway (commands straight over NATS, projections). */
  readonly teamHarness: TeamHarness;
  readonly base: string;
  /** Creates an organization for a person over NATS (what bootstrap does), returning its ids. */
  seedOrganization(userId: string, email: string): Promise<{ organizationId: string; workspaceId: string }>;
  /** `Bearer stu_…`: a real user token for the person. */
  tokenFor(userId: string, email: string): Promise<string>;
  /** The person's user tokens as stored (never a secret), oldest first. */
  userTokensOf(userId: string): Promise<Array<{ id: string; email: string; used: boolean; revoked: boolean }>>;
  /** Drops the gateway's stored Idempotency-Key answers: what a retry sees when the first answer never got stored. */
  forgetIdempotentAnswers(): Promise<void>;
  call(method: string, path: string, options?: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** Until both projections have applied the newest event of the stream. */
  caughtUp(streamId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTeamRoutesHarness(): Promise<TeamRoutesHarness> {
  const teamHarness = await TeamHarness.start({ name: 'team-routes-test' });
  const { env, store, team, db } = teamHarness;
  const nats: NatsClients = await connectNats({ servers: env.natsUrl, name: 'team-routes-test' });
  const reads: DurableConsumer<ResourceRead[]> = await runActivityReadConsumer({ js: nats.js, jsm: nats.jsm, prefix: env.natsPrefix, recorder: new ActivityReadRecorder({ db }) });
  const commands = new CommandClient({ servers: env.natsUrl, name: 'team-routes-gateway' });
  await commands.connect();
  const redis = new Redis(env.redisUrl);
  const logger = createLogger({ name: 'team-routes-test', level: 'warn' });

  const userTokens = new UserTokenStore(env.pool);
  // as main.ts: every write answers once the in-process projections show it (one replica: no ReplicaSync)
  const progress = new ProjectionProgress({ connectionString: env.databaseUrl, db, logger });
  await progress.start();
  const routes = teamRoutes({
    commands,
    natsPrefix: env.natsPrefix,
    readYourWrites: new ReadYourWrites({ progress }),
    db,
    pool: env.pool, // as main.ts: the member list as prepared statements
    js: nats.js,
    logger,
  });
  assertRoutePermissions(routes);
  const gateway: GatewayApp = await createGatewayApp({
    routes,
    authenticator: new StewardAuthenticator({ pool: env.pool, credentials: team.credentials, apiKeyUse: team.apiKeyUse, logger }),
    authorizer: new StewardAuthorizer({ workspaces: new WorkspaceOrganizations({ db }) }),
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
    teamHarness,
    base,
    async seedOrganization(userId, email) {
      const { organizationId, workspaceId } = await teamHarness.createOrganization(userId, { email, name: `Seed of ${userId}`, actor: { type: 'system', id: 'bootstrap' } });
      return { organizationId, workspaceId };
    },
    async tokenFor(userId, email) {
      return `Bearer ${(await userTokens.issue({ userId, email })).token}`;
    },
    async userTokensOf(userId) {
      const { rows } = await env.pool.query<{ id: string; email: string; used: boolean; revoked: boolean }>(
        `SELECT id, email, last_used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked FROM ${USER_TOKENS_TABLE} WHERE user_id = $1 ORDER BY created_at, id`,
        [userId],
      );
      return rows;
    },
    async forgetIdempotentAnswers() {
      const keys = await redis.keys(`${env.redisPrefix}idem:*`);
      if (keys.length > 0) await redis.del(...keys);
    },
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
    caughtUp: (streamId) => teamHarness.caughtUp(streamId),
    async close() {
      await gateway.close();
      await progress.close();
      await reads.stop();
      await commands.close();
      await nats.close();
      const keys = await redis.keys(`${env.redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await teamHarness.close();
    },
  };
}
