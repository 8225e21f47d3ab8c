/**
 * The team context in-process, for integration tests: the real team-rbac
 * handlers as a Nest microservice on NATS, a PostgreSQL event store, and (by
 * default) the team and activity projections in a ProjectionHost, each test
 * file in its own database, NATS prefix and Redis prefix (createTestEnv).
 *
 * The user-token table is migrated and the handlers issue into it (UserTokenStore). Used by team-rbac's own int tests, the team read model tests, the gateway's
 * authenticator/authorizer tests and the gateway's team route harness.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Kysely, PostgresDialect } from 'kysely';
import type { Actor, Role, TeamCommandAnswer, TeamCommandInput, TeamCommandType } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { CommandClient, MessagingError, commandTransportOptions, natsNames, type NatsNames } from '@steward/messaging';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, type TestEnv } from '@steward/testing';
import {
  PlatformAdminDirectory,
  parsePlatformAdmins,
  ActivityRepository,
  ApiKeyReadRepository,
  ApiKeyUsageRecorder,
  InvitationReadRepository,
  MemberReadRepository,
  OrganizationReadRepository,
  ProfileReadRepository,
  TeamCredentialRepository,
  migrateUserTokens,
  teamReadModelProjections,
} from '@steward/team-rbac';
import { matrixAuthorizer } from '../src/shared/team-authorizer';
import { TeamRbacModule } from '../src/team-rbac.module';
import { UserTokenStore } from '../src/user-tokens/user-token.store';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
export const user = (id: string): Actor => ({ type: 'user', id });

/** What a command came to: its answer, or the refusal's code and message. */
export type CommandOutcome = { readonly ok: true; readonly answer: TeamCommandAnswer } | { readonly ok: false; readonly code: string; readonly message: string };

export interface SendOptions {
  readonly commandId?: string;
  readonly issuedAt?: string;
  readonly organizationId?: string;
  readonly workspaceId?: string;
  readonly traceparent?: string;
}

export interface TeamHarnessOptions {
  /** The event store's PostgreSQL schema (default `team_events`). */
  readonly schema?: string;
  /** Run the team and activity projections (default true). */
  readonly projections?: boolean;
  /** The NATS client's name (default `team-harness`). */
  readonly name?: string;
  /** STEWARD_PLATFORM_ADMINS of the service (default none). */
  readonly platformAdmins?: string;
}

/** The team read model's repositories, one per feature, over the harness's database. */
export interface TeamReads {
  readonly organizations: OrganizationReadRepository;
  readonly members: MemberReadRepository;
  readonly invitations: InvitationReadRepository;
  readonly apiKeys: ApiKeyReadRepository;
  readonly profiles: ProfileReadRepository;
  readonly credentials: TeamCredentialRepository;
  readonly apiKeyUse: ApiKeyUsageRecorder;
}

export class TeamHarness {
  readonly db: Kysely<unknown>;
  readonly team: TeamReads;
  readonly activity: ActivityRepository;

  private constructor(
    readonly env: TestEnv,
    readonly store: PostgresEventStore,
    readonly names: NatsNames,
    readonly client: CommandClient,
    private readonly service: INestMicroservice,
    private readonly projectionHost: ProjectionHost | undefined,
  ) {
    this.db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
    const db = this.db;
    this.team = {
      organizations: new OrganizationReadRepository({ db }),
      members: new MemberReadRepository({ db }),
      invitations: new InvitationReadRepository({ db }),
      apiKeys: new ApiKeyReadRepository({ db }),
      profiles: new ProfileReadRepository({ db }),
      credentials: new TeamCredentialRepository({ db }),
      apiKeyUse: new ApiKeyUsageRecorder({ db }),
    };
    this.activity = new ActivityRepository({ db: this.db });
  }

  static async start(options: TeamHarnessOptions = {}): Promise<TeamHarness> {
    const env = await createTestEnv();
    const store = new PostgresEventStore({ pool: env.pool, schema: options.schema ?? 'team_events' });
    await store.migrate();
    await migrateUserTokens(env.pool);
    const names = natsNames(env.natsPrefix);
    const userTokens = new UserTokenStore(env.pool);
    const platformAdmins = new PlatformAdminDirectory({ db: new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) }), configured: parsePlatformAdmins(options.platformAdmins) });
    const isPlatformAdmin = (userId: string): Promise<boolean> => platformAdmins.isPlatformAdmin(userId);
    const service = await NestFactory.createMicroservice(TeamRbacModule.register({ store, names, authorize: matrixAuthorizer, userTokens, isPlatformAdmin }), {
      ...commandTransportOptions({ servers: env.natsUrl, queue: 'team-rbac', gracePeriodMs: 100 }),
      logger: false,
    });
    await service.listen();
    const client = new CommandClient({ servers: env.natsUrl, name: options.name ?? 'team-harness' });
    let host: ProjectionHost | undefined;
    if (options.projections !== false) {
      host = new ProjectionHost({ pool: env.pool, store, projections: teamReadModelProjections, meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
      await host.start();
    }
    return new TeamHarness(env, store, names, client, service, host);
  }

  /** The projection host (only when started with projections). */
  get host(): ProjectionHost {
    if (!this.projectionHost) throw new Error('the team harness runs without projections');
    return this.projectionHost;
  }

  /** Sends a command over NATS as the gateway would; a refusal comes back as its code. */
  async attempt<T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor, options: SendOptions = {}): Promise<CommandOutcome> {
    try {
      const answer = await this.client.send<TeamCommandAnswer>(
        this.names.commandSubject('team', type),
        {
          commandId: options.commandId ?? randomUUID(),
          type,
          actor,
          ...(options.organizationId ? { organizationId: options.organizationId } : {}),
          ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
          ...(options.traceparent ? { traceContext: { traceparent: options.traceparent } } : {}),
          issuedAt: options.issuedAt ?? new Date().toISOString(),
          payload,
        },
        { timeoutMs: 10_000 },
      );
      return { ok: true, answer };
    } catch (error) {
      if (MessagingError.is(error) && error.details.error && typeof error.details.error === 'object') {
        const body = error.details.error as { code: string; message: string };
        return { ok: false, code: body.code, message: body.message };
      }
      throw error;
    }
  }

  /** Sends a command that must be accepted (a refusal throws, naming it). */
  async send<T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor, options: SendOptions = {}): Promise<TeamCommandAnswer> {
    const outcome = await this.attempt(type, payload, actor, options);
    if (!outcome.ok) throw new Error(`${type} refused: ${outcome.code} ${outcome.message}`);
    return outcome.answer;
  }

  /** `send`, then waits until both projections have applied what the command wrote. */
  async apply<T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor, options: SendOptions = {}): Promise<TeamCommandAnswer> {
    const answer = await this.send(type, payload, actor, options);
    const last = answer.events.at(-1);
    if (last) await this.caughtUp(last.streamId);
    return answer;
  }

  /**
   * Waits until both projections have applied the last event of `streamId`.
   * Not `store.headPosition()`: that stops below any open transaction (a
   * projection's own batch), so it can lag behind a committed event.
   */
  async caughtUp(streamId: string): Promise<void> {
    const [last] = await this.store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    if (!last) throw new Error(`${streamId} is empty`);
    await Promise.all([this.host.runner('team').waitForPosition(last.position), this.host.runner('activity').waitForPosition(last.position)]);
  }

  /** Creates an organization with its first workspace, owned by `ownerId` (who sends it, unless `actor` says otherwise). */
  async createOrganization(
    ownerId: string,
    options: { email?: string; name?: string; actor?: Actor } = {},
  ): Promise<{ organizationId: string; workspaceId: string; answer: TeamCommandAnswer }> {
    const organizationId = `org-${randomUUID()}`;
    const workspaceId = `ws-${randomUUID()}`;
    const email = options.email ?? `${ownerId}@acme.test`;
    const payload = { organizationId, name: options.name ?? `Organization of ${ownerId}`, workspaceId, workspaceName: 'Main', owner: { userId: ownerId, email } };
    const answer = await this.send('CreateOrganization', payload, options.actor ?? user(ownerId));
    return { organizationId, workspaceId, answer };
  }

  /** Invites `userId` (email `<userId>@acme.test` unless given) into the workspace with `role`, and has them accept. */
  async join(workspaceId: string, inviter: string, userId: string, role: Role, options: { invitationId?: string; email?: string } = {}): Promise<TeamCommandAnswer> {
    const invitationId = options.invitationId ?? `inv-${randomUUID()}`;
    const token = randomUUID();
    const email = options.email ?? `${userId}@acme.test`;
    await this.send('InviteMember', { workspaceId, invitationId, email, role, tokenHash: sha256(token) }, user(inviter));
    return this.send('AcceptInvitation', { invitationId, tokenHash: sha256(token), userId }, user(userId));
  }

  async close(): Promise<void> {
    await this.projectionHost?.stop();
    await this.client.close();
    await this.service.close();
    await this.store.close();
    await this.env.dispose();
  }
}
