import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { TeamStreams, type Actor, type TeamEventOf, type TeamEventType } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { teamProjection } from '../read-models/team/team.projection';
import { TeamAccess, type TeamAccessCheck } from './team-access';
import { TeamAccessError, TeamAccessErrorCode } from './team-access.error';
import { WorkspaceOrganizations } from './workspace-organizations';

jest.setTimeout(60_000);

const AT = '2026-03-01T12:00:00.000Z';
const HASH = 'a'.repeat(64);
const person = (id: string): Actor => ({ type: 'user', id });
const key = (id: string): Actor => ({ type: 'api_key', id });

describe('team access over the team streams and read model (PostgreSQL)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let access: TeamAccess;

  const orgA = `org-${randomUUID()}`;
  const wsA1 = `ws-${randomUUID()}`;
  const wsA2 = `ws-${randomUUID()}`;
  const orgB = `org-${randomUUID()}`;
  const wsB = `ws-${randomUUID()}`;
  const keys = { jobs: `key-${randomUUID()}`, readOnly: `key-${randomUUID()}`, revoked: `key-${randomUUID()}`, other: `key-${randomUUID()}` };

  async function append<T extends TeamEventType>(streamId: string, type: T, data: TeamEventOf<T>['data']): Promise<void> {
    const eventId = randomUUID();
    await store.append(streamId, [{ eventId, type, version: 1, data, metadata: { correlationId: eventId, actor: person('u-owner'), occurredAt: AT } }], { expectedRevision: 'any' });
  }

  async function organization(organizationId: string, workspaceId: string, owner: string): Promise<void> {
    await append(TeamStreams.organization(organizationId), 'OrganizationCreated', {
      organizationId,
      name: 'Org',
      ownerUserId: owner,
      ownerEmail: `${owner}@example.test`,
      firstWorkspaceId: workspaceId,
      createdAt: AT,
    });
    await workspace(organizationId, workspaceId, owner);
    await join(organizationId, workspaceId, owner, 'owner');
  }

  async function workspace(organizationId: string, workspaceId: string, createdBy: string): Promise<void> {
    await append(TeamStreams.workspace(workspaceId), 'WorkspaceCreated', { organizationId, workspaceId, name: 'Workspace', status: 'provisioning', createdBy, createdAt: AT });
  }

  async function join(organizationId: string, workspaceId: string, userId: string, role: 'owner' | 'admin' | 'member' | 'viewer'): Promise<void> {
    await append(TeamStreams.workspace(workspaceId), 'MemberJoined', { organizationId, workspaceId, userId, email: `${userId}@example.test`, role, via: 'creation', joinedAt: AT });
  }

  async function issue(apiKeyId: string, workspaceId: string, organizationId: string, scopes: string[]): Promise<void> {
    await append(TeamStreams.apiKey(apiKeyId), 'ApiKeyIssued', {
      organizationId,
      workspaceId,
      apiKeyId,
      name: 'agent',
      scopes,
      prefix: `stw_${apiKeyId.slice(4, 12)}`,
      keyHash: HASH,
      issuedBy: 'u-owner',
      issuedAt: AT,
    });
  }

  /** The refusal's code, or 'allowed'. */
  async function outcome(check: TeamAccessCheck): Promise<TeamAccessErrorCode | 'allowed'> {
    try {
      await access.authorize(check);
      return 'allowed';
    } catch (error) {
      if (TeamAccessError.is(error)) return error.code;
      throw error;
    }
  }

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: 'access_events' });
    await store.migrate();
    access = new TeamAccess({ store });

    await organization(orgA, wsA1, 'u-owner');
    await workspace(orgA, wsA2, 'u-owner');
    await join(orgA, wsA1, 'u-admin', 'admin');
    await join(orgA, wsA1, 'u-viewer', 'viewer');
    await organization(orgB, wsB, 'u-other');
    await issue(keys.jobs, wsA1, orgA, ['jobs:write']);
    await issue(keys.readOnly, wsA1, orgA, ['read']);
    await issue(keys.revoked, wsA1, orgA, ['jobs:write']);
    await append(TeamStreams.apiKey(keys.revoked), 'ApiKeyRevoked', { organizationId: orgA, workspaceId: wsA1, apiKeyId: keys.revoked, revokedBy: 'u-owner', revokedAt: AT });
    await issue(keys.other, wsB, orgB, ['jobs:write']);
  });

  afterAll(async () => {
    await store?.close();
    await env?.dispose();
  });

  it('gives a member the role of their membership, judged by the permission matrix', async () => {
    expect(await access.roleOf('u-admin', wsA1)).toBe('admin');
    expect(await outcome({ actor: person('u-admin'), workspaceId: wsA1, action: 'models.write' })).toBe('allowed');
    expect(await access.roleOf('u-viewer', wsA1)).toBe('viewer');
    expect(await outcome({ actor: person('u-viewer'), workspaceId: wsA1, action: 'jobs.read' })).toBe('allowed');
    // in the workspace, but the role does not allow it: 403, not 404
    expect(await outcome({ actor: person('u-viewer'), workspaceId: wsA1, action: 'jobs.write' })).toBe(TeamAccessErrorCode.Forbidden);
    // a member of wsA1 holds nothing in wsA2 of the same organization
    expect(await access.roleOf('u-admin', wsA2)).toBeUndefined();
    expect(await outcome({ actor: person('u-admin'), workspaceId: wsA2, action: 'jobs.read' })).toBe(TeamAccessErrorCode.NotFound);
  });

  it('makes an organization owner an owner in every workspace of the organization, members or not', async () => {
    expect(await access.roleOf('u-owner', wsA2)).toBe('owner');
    expect(await outcome({ actor: person('u-owner'), workspaceId: wsA2, action: 'runtimes.write' })).toBe('allowed');
  });

  it('lets an API key act in its own workspace only, while it is not revoked, by its scopes', async () => {
    expect(await outcome({ actor: key(keys.jobs), workspaceId: wsA1, action: 'jobs.write' })).toBe('allowed');
    // a scope that does not grant the action: forbidden
    const refused = access.authorize({ actor: key(keys.readOnly), workspaceId: wsA1, action: 'jobs.write', doing: 'write jobs' });
    await expect(refused).rejects.toMatchObject({ code: TeamAccessErrorCode.Forbidden, message: `API key ${keys.readOnly} may not write jobs` });
    expect(await outcome({ actor: key(keys.readOnly), workspaceId: wsA1, action: 'jobs.read' })).toBe('allowed');
    // revoked, another workspace, or no such key: the workspace does not exist for it
    expect(await outcome({ actor: key(keys.revoked), workspaceId: wsA1, action: 'jobs.write' })).toBe(TeamAccessErrorCode.NotFound);
    expect(await outcome({ actor: key(keys.jobs), workspaceId: wsA2, action: 'jobs.write' })).toBe(TeamAccessErrorCode.NotFound);
    expect(await outcome({ actor: key(`key-${randomUUID()}`), workspaceId: wsA1, action: 'jobs.read' })).toBe(TeamAccessErrorCode.NotFound);
  });

  it("walls off another tenant's workspace: not found, never forbidden", async () => {
    expect(await outcome({ actor: person('u-owner'), workspaceId: wsB, action: 'jobs.read' })).toBe(TeamAccessErrorCode.NotFound);
    expect(await outcome({ actor: key(keys.other), workspaceId: wsA1, action: 'jobs.write' })).toBe(TeamAccessErrorCode.NotFound);
    expect(await outcome({ actor: person('u-owner'), workspaceId: `ws-${randomUUID()}`, action: 'jobs.read' })).toBe(TeamAccessErrorCode.NotFound);
    expect(await access.organizationOf(wsB)).toBe(orgB);
    await expect(access.organizationOf(wsB, orgA)).rejects.toMatchObject({ code: TeamAccessErrorCode.NotFound });
    await expect(access.organizationOf(`ws-${randomUUID()}`)).rejects.toMatchObject({ code: TeamAccessErrorCode.NotFound });
  });

  it("judges no one of Steward's own: each context decides for its system and services", async () => {
    expect(await outcome({ actor: { type: 'system', id: 'sweeper' }, workspaceId: wsA1, action: 'jobs.write' })).toBe(TeamAccessErrorCode.Forbidden);
    expect(await outcome({ actor: { type: 'service', id: 'agent' }, workspaceId: wsA1, action: 'jobs.write' })).toBe(TeamAccessErrorCode.Forbidden);
  });

  it('sees a change the moment it is appended (read-your-writes: no projection in between)', async () => {
    const newcomer = `u-${randomUUID()}`;
    expect(await outcome({ actor: person(newcomer), workspaceId: wsA2, action: 'jobs.write' })).toBe(TeamAccessErrorCode.NotFound);
    await join(orgA, wsA2, newcomer, 'member');
    expect(await outcome({ actor: person(newcomer), workspaceId: wsA2, action: 'jobs.write' })).toBe('allowed');
    await append(TeamStreams.workspace(wsA2), 'MemberRoleChanged', { organizationId: orgA, workspaceId: wsA2, userId: newcomer, from: 'member', to: 'viewer', changedBy: 'u-owner' });
    expect(await outcome({ actor: person(newcomer), workspaceId: wsA2, action: 'jobs.write' })).toBe(TeamAccessErrorCode.Forbidden);
    await append(TeamStreams.workspace(wsA2), 'MemberRemoved', { organizationId: orgA, workspaceId: wsA2, userId: newcomer, role: 'viewer', removedBy: 'u-owner' });
    expect(await outcome({ actor: person(newcomer), workspaceId: wsA2, action: 'jobs.read' })).toBe(TeamAccessErrorCode.NotFound);

    // an owner seat given up: no longer an owner in the workspaces they are no member of
    await append(TeamStreams.organization(orgA), 'OrganizationOwnerAdded', { organizationId: orgA, workspaceId: wsA1, userId: 'u-admin' });
    expect(await access.roleOf('u-admin', wsA2)).toBe('owner');
    await append(TeamStreams.organization(orgA), 'OrganizationOwnerRemoved', { organizationId: orgA, workspaceId: wsA1, userId: 'u-admin' });
    expect(await access.roleOf('u-admin', wsA2)).toBeUndefined();

    const fresh = `key-${randomUUID()}`;
    await issue(fresh, wsA2, orgA, ['jobs:write']);
    expect(await outcome({ actor: key(fresh), workspaceId: wsA2, action: 'jobs.write' })).toBe('allowed');
    await append(TeamStreams.apiKey(fresh), 'ApiKeyRevoked', { organizationId: orgA, workspaceId: wsA2, apiKeyId: fresh, revokedBy: 'u-owner', revokedAt: AT });
    expect(await outcome({ actor: key(fresh), workspaceId: wsA2, action: 'jobs.write' })).toBe(TeamAccessErrorCode.NotFound);
  });

  describe('workspace → organization over the team read model', () => {
    let db: Kysely<unknown>;
    let host: ProjectionHost | undefined;

    beforeAll(() => {
      db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: env.pool }) });
    });

    afterAll(async () => {
      await host?.stop();
    });

    it('knows no workspace before the read model exists, then every projected one, and the workspaces of an organization', async () => {
      const workspaces = new WorkspaceOrganizations({ db });
      expect(await workspaces.organizationsOf([wsA1, wsB])).toEqual(new Map());
      host = new ProjectionHost({ pool: env.pool, store, projections: [teamProjection], meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
      await host.start();
      await waitFor('the team read model shows both organizations', async () => ((await workspaces.organizationsOf([wsA1, wsB])).size === 2 ? true : undefined));
      expect(await workspaces.organizationsOf([wsA1, wsA2, wsB, 'ws-none'])).toEqual(
        new Map([
          [wsA1, orgA],
          [wsA2, orgA],
          [wsB, orgB],
        ]),
      );
      expect(await workspaces.organizationOf('ws-none')).toBeUndefined();
      expect(await workspaces.workspacesIn(orgA)).toEqual([wsA1, wsA2].sort());
    });
  });
});
