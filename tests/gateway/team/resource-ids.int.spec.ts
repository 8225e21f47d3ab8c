import { Redis } from 'ioredis';
import { TeamStreams, isCurrentId } from '@steward/contracts';
import { startTeamRoutesHarness, type Answer, type TeamRoutesHarness } from './team-routes.harness';

jest.setTimeout(60_000);

/*
 * Resource ids over HTTP: what the routes make is in the one scheme
 * (`<prefix>_<26 base32>`), a retried request gets the same ids even when its
 * stored answer is gone (they derive from the Idempotency-Key), and ids of the
 * older forms stay addressable in paths and commands.
 */

function expectStatus(answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
}

describe('resource ids through the team routes', () => {
  let h: TeamRoutesHarness;
  let OWNER: string;
  /** Seeded as the API made them before: `org-<uuid>`, `ws-<uuid>`, a user `u-…`. */
  let legacy: { organizationId: string; workspaceId: string };

  beforeAll(async () => {
    h = await startTeamRoutesHarness();
    legacy = await h.seedOrganization('u-0123456789abcdef0123456789abcdef', 'legacy@acme.test');
    await h.caughtUp(TeamStreams.workspace(legacy.workspaceId));
    OWNER = await h.tokenFor('u-0123456789abcdef0123456789abcdef', 'legacy@acme.test');
  });

  afterAll(async () => {
    await h?.close();
  });

  it('ids of the older forms stay readable and writable: path params and command payloads take them', async () => {
    expectStatus(await h.call('GET', `/v1/organizations/${legacy.organizationId}`, { auth: OWNER }), 200);
    expectStatus(await h.call('GET', `/v1/workspaces/${legacy.workspaceId}/members`, { auth: OWNER }), 200);
    const renamed = await h.call('PATCH', `/v1/workspaces/${legacy.workspaceId}`, { auth: OWNER, body: { name: 'Renamed' } });
    expectStatus(renamed, 200);
    // the bootstrap's older form, created straight over NATS as it did
    const bootstrapped = { organizationId: 'org_0123456789abcdef01234567', workspaceId: 'ws_0123456789abcdef01234567', userId: 'usr_0123456789abcdef' };
    await h.teamHarness.send(
      'CreateOrganization',
      { organizationId: bootstrapped.organizationId, name: 'Old bootstrap', workspaceId: bootstrapped.workspaceId, workspaceName: 'Main', owner: { userId: bootstrapped.userId, email: 'old@acme.test' } },
      { type: 'system', id: 'bootstrap' },
    );
    await h.caughtUp(TeamStreams.workspace(bootstrapped.workspaceId));
    const oldOwner = await h.tokenFor(bootstrapped.userId, 'old@acme.test');
    expectStatus(await h.call('GET', `/v1/workspaces/${bootstrapped.workspaceId}/members/${bootstrapped.userId}`, { auth: oldOwner }), 200);
  });

  it('what the routes make is in the one scheme: organization, workspace, invitation, user, API key', async () => {
    const created = await h.call('POST', '/v1/organizations', { auth: OWNER, body: { name: 'Scheme', workspaceName: 'Main' } });
    expectStatus(created, 201);
    expect(isCurrentId('organization', created.body.id)).toBe(true);
    expect(isCurrentId('workspace', created.body.workspace.id)).toBe(true);

    const workspace = await h.call('POST', `/v1/organizations/${legacy.organizationId}/workspaces`, { auth: OWNER, body: { name: 'Second' } });
    expectStatus(workspace, 201);
    expect(isCurrentId('workspace', workspace.body.id)).toBe(true);

    const invited = await h.call('POST', `/v1/workspaces/${legacy.workspaceId}/invitations`, { auth: OWNER, body: { email: 'new@acme.test', role: 'member' } });
    expectStatus(invited, 201);
    expect(isCurrentId('invitation', invited.body.id)).toBe(true);
    await h.caughtUp(TeamStreams.invitation(invited.body.id));
    const accepted = await h.call('POST', '/v1/invitations/accept', { body: { token: invited.body.token } });
    expectStatus(accepted, 201);
    expect(isCurrentId('user', accepted.body.userId)).toBe(true);

    const key = await h.call('POST', `/v1/workspaces/${legacy.workspaceId}/api-keys`, { auth: OWNER, body: { name: 'ci', scopes: ['read'] } });
    expectStatus(key, 201);
    expect(isCurrentId('apiKey', key.body.id)).toBe(true);
  });

  it('a retry with the same Idempotency-Key targets the same aggregate even once its stored answer is gone', async () => {
    const request = { auth: OWNER, body: { name: 'Derived', workspaceName: 'Main' }, headers: { 'idempotency-key': 'derived-org' } };
    const first = await h.call('POST', '/v1/organizations', request);
    expectStatus(first, 201);
    // forget every stored answer: the retry runs the handler again
    const redis = new Redis(h.env.redisUrl);
    try {
      const keys = await redis.keys(`${h.env.redisPrefix}idem:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const retry = await h.call('POST', '/v1/organizations', request);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBeLessThan(300);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.workspace.id).toBe(first.body.workspace.id);
    expect((await h.store.readStream(TeamStreams.organization(first.body.id))).map((event) => event.type)).toEqual(['OrganizationCreated']);
  });
});
