import { createHash } from 'node:crypto';
import { derivedId, type CommandEnvelope, type TeamCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { OrganizationReadRepository, PlatformAdminDirectory, TeamCredentialRepository, USER_TOKENS_TABLE, announcementsDb, migrateUserTokens, type FirstOrganization } from '@steward/team-rbac';
import { UserTokenStore } from '../user-tokens/user-token.store';

export const DEFAULT_OWNER_EMAIL = 'owner@example.com';
/** Serialises concurrent bootstrap runs against one database. */
const BOOTSTRAP_LOCK = 0x53_74_42_73; // 'StBs'

/** What sends the team's commands (a @steward/messaging CommandClient). */
export interface CommandSender {
  send<TResult>(pattern: string, envelope: CommandEnvelope, options?: { timeoutMs?: number }): Promise<TResult>;
}

export interface BootstrapDeps {
  readonly pool: pg.Pool;
  readonly commands: CommandSender;
  readonly names: NatsNames;
  /** STEWARD_OWNER_EMAIL; default owner@example.com. */
  readonly ownerEmail?: string;
  /** How long to wait for the read model to show the new organization. Default 30 s. */
  readonly readModelTimeoutMs?: number;
}

export interface BootstrapResult {
  /** True when this run created the organization; false when the system already had one. */
  readonly created: boolean;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly ownerUserId: string;
  readonly ownerEmail: string;
  /** The owner's token, only on the run that issued it (shown once). */
  readonly ownerToken?: string;
}

/** Ids derived from the owner's email, so a re-run after a crash sends the very same command. */
export function bootstrapIds(ownerEmail: string): { organizationId: string; workspaceId: string; userId: string; commandId: string } {
  const seed = `steward:bootstrap:${ownerEmail.toLowerCase()}`;
  const digest = createHash('sha256').update(seed).digest('hex');
  return {
    organizationId: derivedId('organization', seed),
    workspaceId: derivedId('workspace', seed),
    userId: derivedId('user', seed),
    commandId: `bootstrap-${digest.slice(0, 32)}`,
  };
}

export enum BootstrapErrorCode {
  /** The organization was created but the team read model did not show it in time (projections not running?). */
  ReadModelTimeout = 'READ_MODEL_TIMEOUT',
  /** `tokens issue` for an email that is no member of any workspace. */
  UnknownMember = 'UNKNOWN_MEMBER',
}

export class BootstrapError extends Error {
  constructor(
    readonly code: BootstrapErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BootstrapError';
  }
}

/** The team read model over the bootstrap's pool (never destroyed here: the pool is the caller's to end). */
function teamReadModel(pool: pg.Pool): Kysely<unknown> {
  return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
}

function firstOrganization(pool: pg.Pool): Promise<FirstOrganization | undefined> {
  return new OrganizationReadRepository({ db: teamReadModel(pool) }).firstOrganization();
}

async function awaitOrganization(pool: pg.Pool, timeoutMs: number): Promise<FirstOrganization> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const organization = await firstOrganization(pool);
    if (organization) return organization;
    if (Date.now() > deadline) throw new BootstrapError(BootstrapErrorCode.ReadModelTimeout, `the team read model did not show the bootstrap organization within ${timeoutMs} ms (is the projections service running?)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * First start of an empty system: creates an organization, its first
 * workspace and their owner (STEWARD_OWNER_EMAIL) with CreateOrganization as
 * the system actor, waits until the team read model shows it, and issues the
 * owner's user token. Idempotent: a system that has an organization is left as
 * it is, and the owner token is issued only while no user token exists at all
 * (concurrent runs are serialised by an advisory lock).
 */
export async function runBootstrap(deps: BootstrapDeps): Promise<BootstrapResult> {
  await migrateUserTokens(deps.pool);
  const client = await deps.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [BOOTSTRAP_LOCK]);
    try {
      return await bootstrapLocked(deps, client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [BOOTSTRAP_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function bootstrapLocked(deps: BootstrapDeps, client: pg.PoolClient): Promise<BootstrapResult> {
  let organization = await firstOrganization(deps.pool);
  const created = organization === undefined;
  if (organization === undefined) {
    const ownerEmail = (deps.ownerEmail ?? DEFAULT_OWNER_EMAIL).toLowerCase();
    const ids = bootstrapIds(ownerEmail);
    await deps.commands.send<TeamCommandAnswer>(
      deps.names.commandSubject('team', 'CreateOrganization'),
      {
        commandId: ids.commandId,
        type: 'CreateOrganization',
        actor: { type: 'system', id: 'bootstrap' },
        organizationId: ids.organizationId,
        issuedAt: new Date().toISOString(),
        payload: {
          organizationId: ids.organizationId,
          name: 'My Organization',
          workspaceId: ids.workspaceId,
          workspaceName: 'Default Workspace',
          owner: { userId: ids.userId, email: ownerEmail },
        },
      },
      { timeoutMs: 15_000 },
    );
    organization = await awaitOrganization(deps.pool, deps.readModelTimeoutMs ?? 30_000);
  }
  await grantFirstPlatformAdmin(deps, organization);
  const base = {
    created,
    organizationId: organization.id,
    workspaceId: organization.firstWorkspaceId,
    ownerUserId: organization.ownerUserId,
    ownerEmail: organization.ownerEmail,
  };
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${USER_TOKENS_TABLE}`);
  if (Number(rows[0]?.n ?? 0) > 0) return base;
  const issued = await new UserTokenStore(deps.pool).issue({ userId: organization.ownerUserId, email: organization.ownerEmail });
  return { ...base, ownerToken: issued.token };
}

/** Whether any platform administrator was granted (false while the announcements read model is not there yet). */
async function anyPlatformAdmin(pool: pg.Pool): Promise<boolean> {
  try {
    return (await announcementsDb(teamReadModel(pool)).selectFrom('platform_admins').select('user_id').limit(1).executeTakeFirst()) !== undefined;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return false;
    throw error;
  }
}

/**
 * A fresh install's owner is its first platform administrator (they author the platform's announcements):
 * granted while nobody is one yet, so a re-run after a crash completes it and a later run changes nothing.
 * More are named by STEWARD_PLATFORM_ADMINS. Waits until the read model shows it.
 */
async function grantFirstPlatformAdmin(deps: BootstrapDeps, organization: FirstOrganization): Promise<void> {
  if (await anyPlatformAdmin(deps.pool)) return;
  await deps.commands.send<TeamCommandAnswer>(
    deps.names.commandSubject('team', 'GrantPlatformAdmin'),
    {
      commandId: `bootstrap-platform-admin-${organization.ownerUserId}`,
      type: 'GrantPlatformAdmin',
      actor: { type: 'system', id: 'bootstrap' },
      issuedAt: new Date().toISOString(),
      payload: { userId: organization.ownerUserId, email: organization.ownerEmail },
    },
    { timeoutMs: 15_000 },
  );
  const directory = new PlatformAdminDirectory({ db: teamReadModel(deps.pool) });
  const deadline = Date.now() + (deps.readModelTimeoutMs ?? 30_000);
  while (!(await directory.isPlatformAdmin(organization.ownerUserId))) {
    if (Date.now() > deadline) throw new BootstrapError(BootstrapErrorCode.ReadModelTimeout, 'the announcements read model did not show the platform administrator in time (is the projections service running?)');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What `npm start` prints after the bootstrap (the token only when this run issued it). */
export function bootstrapLines(result: BootstrapResult, gatewayUrl: string): string[] {
  const lines = [`Steward API      ${gatewayUrl}`, `API docs         ${gatewayUrl}/docs`];
  lines.push(`Organization     ${result.organizationId}`, `Workspace        ${result.workspaceId}`, `Owner            ${result.ownerEmail}`);
  if (result.ownerToken !== undefined) {
    lines.push(
      `Owner token      ${result.ownerToken}`,
      '                 (shown once, keep it: send it as "Authorization: Bearer <token>")',
    );
  } else {
    lines.push(
      'Owner token      issued at the first start, not shown again; a new one for a member:',
      '                 npm exec -- node -r @swc-node/register services/team-rbac/src/bootstrap/bootstrap.main.ts tokens issue --email <email>',
    );
  }
  return lines;
}

/** A new user token for an existing member, found by email in the team read model (the CLI's `tokens issue`). */
export async function issueTokenForMember(pool: pg.Pool, email: string): Promise<{ userId: string; email: string; token: string }> {
  await migrateUserTokens(pool);
  const member = await new TeamCredentialRepository({ db: teamReadModel(pool) }).memberByEmail(email);
  if (!member) throw new BootstrapError(BootstrapErrorCode.UnknownMember, `${email} is no member of any workspace`);
  const issued = await new UserTokenStore(pool).issue({ userId: member.userId, email: member.email });
  return { userId: issued.userId, email: issued.email, token: issued.token };
}
