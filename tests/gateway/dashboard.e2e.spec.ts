/**
 * The dashboard over the whole stack: GET /v1/organizations/{orgId}/overview per role, each section present
 * or withheld exactly as the permission matrix lets the role read it (the dashboard guide's "Access and
 * Visibility"), "show more" paging into the activity log, another tenant's overview a 404; and platform
 * announcements: authored by platform administrators only (the bootstrap's owner, and a person
 * STEWARD_PLATFORM_ADMINS names; an organization's owner is not one), read by their audience with a read
 * marker each, and the overview's unread ones.
 */
import { randomUUID } from 'node:crypto';
import { type Action, roleCan } from '@steward/auth';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient, type Person, type RoleName, eventHead } from './support/gateway-client';

jest.setTimeout(180_000);

const ROLES: readonly RoleName[] = ['owner', 'admin', 'billing', 'member', 'viewer'];
/** Each withholdable section of the overview and the action of the matrix that lets a role see it. */
const SECTIONS: ReadonlyArray<readonly [section: 'workspaces' | 'billing' | 'recentActivity', action: Action]> = [
  ['workspaces', 'workspace.read'],
  ['billing', 'billing.read'],
  ['recentActivity', 'activity.read'],
];
/** Named by STEWARD_PLATFORM_ADMINS before the person exists (the configuration's way). */
const CONFIGURED_ADMIN = 'platform-ops@steward.test';

interface Overview {
  organization: { id: string; name: string; owner: { userId: string }; createdAt: string; teamSize: number };
  workspaces?: { total: number; active: number; suspended: number; others: number };
  billing?: { plan: { id: string }; credits: { available: string } };
  recentActivity?: Array<{ id: string; occurredAt: string }>;
  recentActivityCursor?: string | null;
  announcements: { unreadCount: number; items: Announcement[] };
  withheld: string[];
}

interface Announcement {
  id: string;
  kind: string;
  title: string;
  status: string;
  audience: { type: string; organizationIds?: string[] };
  window: { startsAt: string; endsAt: string } | null;
  read?: boolean;
}

interface AnnouncementPage {
  items: Announcement[];
  total: number;
  unreadCount?: number;
}

describe('the dashboard overview and announcements', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  const tokens = {} as Record<RoleName, string>;
  let outsider: { owner: Person; organizationId: string; workspaceId: string };

  const overviewPath = () => `/v1/organizations/${stack.organizationId}/overview`;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { env: { STEWARD_PLATFORM_ADMINS: CONFIGURED_ADMIN } });
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    tokens.owner = stack.ownerToken;
    for (const role of ROLES.filter((candidate) => candidate !== 'owner')) {
      tokens[role] = (await fixtures.newMember(stack.ownerToken, stack.workspaceId, role, `dash-${role}`)).token;
    }
    outsider = await fixtures.otherOrganization(stack, 'dash-outsider');
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  describe('the overview, per role', () => {
    it('each role gets exactly the sections the matrix lets it read; `withheld` names the others', async () => {
      const seen: Record<string, string[]> = {};
      for (const role of ROLES) {
        const overview = await client.expect<Overview>(200, 'GET', overviewPath(), { token: tokens[role] });
        const withheld = SECTIONS.filter(([, action]) => !roleCan(role, action)).map(([section]) => section);
        expect({ role, withheld: overview.withheld }).toEqual({ role, withheld });
        for (const [section] of SECTIONS) expect({ role, section, present: overview[section] !== undefined }).toEqual({ role, section, present: !withheld.includes(section) });
        // organization details and announcements: every member
        expect(overview.organization).toMatchObject({ id: stack.organizationId, owner: { userId: expect.any(String) } });
        expect(overview.organization.teamSize).toBeGreaterThanOrEqual(ROLES.length);
        expect(overview.announcements).toEqual({ unreadCount: expect.any(Number), items: expect.any(Array) });
        seen[role] = overview.withheld;
      }
      // the table is not one-sided: the owner sees all, members and viewers are refused billing and the log
      expect(seen).toEqual({ owner: [], admin: [], billing: [], member: ['billing', 'recentActivity'], viewer: ['billing', 'recentActivity'] });
    });

    it('the owner: organization, workspaces by status, billing with the plan and credits, five activities and "show more" into the log', async () => {
      const overview = await client.expect<Overview>(200, 'GET', overviewPath(), { token: stack.ownerToken });
      expect(overview.workspaces).toMatchObject({ total: 1, active: 1, suspended: 0, others: 0 });
      expect(overview.billing?.plan.id).toEqual(expect.any(String));
      expect(overview.billing?.credits.available).toEqual(expect.any(String));
      // the fixtures above wrote far more than five entries
      expect(overview.recentActivity).toHaveLength(5);
      expect(overview.recentActivityCursor).toEqual(expect.any(String));
      const more = await client.expect<{ items: Array<{ id: string; occurredAt: string }> }>(
        200,
        'GET',
        `/v1/organizations/${stack.organizationId}/activity?limit=5&cursor=${encodeURIComponent(overview.recentActivityCursor as string)}`,
        { token: stack.ownerToken },
      );
      expect(more.items.length).toBeGreaterThan(0);
      const shown = new Set(overview.recentActivity!.map((entry) => entry.id));
      expect(more.items.filter((entry) => shown.has(entry.id))).toEqual([]);
      expect(Date.parse(more.items[0]!.occurredAt)).toBeLessThanOrEqual(Date.parse(overview.recentActivity!.at(-1)!.occurredAt));
    });

    it("another tenant's overview is a 404 that tells nothing of it", async () => {
      const walled = await client.call('GET', overviewPath(), { token: outsider.owner.token });
      expect(walled.status).toBe(404);
      expect(walled.text).not.toContain('My Organization');
      expect((await client.call('GET', `/v1/organizations/${outsider.organizationId}/overview`, { token: stack.ownerToken })).status).toBe(404);
      // and their own is theirs: an owner of another organization sees everything of it
      expect((await client.expect<Overview>(200, 'GET', `/v1/organizations/${outsider.organizationId}/overview`, { token: outsider.owner.token })).withheld).toEqual([]);
    });
  });

  describe('announcements', () => {
    const WINDOW = { startsAt: '2027-01-10T22:00:00.000Z', endsAt: '2027-01-11T02:00:00.000Z' };
    const create = (token: string, body: Record<string, unknown>) => client.call('POST', '/v1/announcements', { token, body });
    const mine = async (token: string, query = ''): Promise<AnnouncementPage> => client.expect<AnnouncementPage>(200, 'GET', `/v1/announcements${query}`, { token });

    it('only platform administrators author them: an organization owner is refused with a 403 saying so', async () => {
      const refused = await create(outsider.owner.token, { kind: 'feature', title: 'Not mine to say', body: 'x', audience: { type: 'all' } });
      expect(refused.status).toBe(403);
      expect((refused.body as { detail: string }).detail).toContain('platform administrator');
      expect((await client.call('GET', '/v1/announcements?view=all', { token: tokens.admin })).status).toBe(403);
    });

    it('a maintenance needs a window that ends after it starts; other kinds take none (400 naming the field, nothing stored)', async () => {
      const before = await eventHead(env.pool);
      const noWindow = await create(stack.ownerToken, { kind: 'maintenance', title: 'Upgrade', body: 'Database upgrade', audience: { type: 'all' } });
      expect(noWindow.status).toBe(400);
      expect(JSON.stringify(noWindow.body)).toContain('body.window');
      const backwards = await create(stack.ownerToken, { kind: 'maintenance', title: 'Upgrade', body: 'Database upgrade', audience: { type: 'all' }, window: { startsAt: WINDOW.endsAt, endsAt: WINDOW.startsAt } });
      expect(backwards.status).toBe(400);
      expect(JSON.stringify(backwards.body)).toContain('body.window.endsAt');
      const windowed = await create(stack.ownerToken, { kind: 'release', title: 'v2', body: 'Notes', audience: { type: 'all' }, window: WINDOW });
      expect(windowed.status).toBe(400);
      expect(await eventHead(env.pool)).toBe(before);
    });

    it('reach their audience once published, each reader with their own read marker; the overview carries the unread ones', async () => {
      const drafted = await client.expect<Announcement>(201, 'POST', '/v1/announcements', {
        token: stack.ownerToken,
        body: { kind: 'maintenance', title: 'Planned maintenance', body: 'The API pauses for a database upgrade.', audience: { type: 'organizations', organizationIds: [outsider.organizationId] }, window: WINDOW },
      });
      expect(drafted).toMatchObject({ status: 'draft', window: WINDOW, audience: { type: 'organizations', organizationIds: [outsider.organizationId] } });
      // a draft reaches nobody
      expect((await mine(outsider.owner.token)).items.map((item) => item.id)).not.toContain(drafted.id);
      expect((await client.call('POST', `/v1/announcements/${drafted.id}/read`, { token: outsider.owner.token, body: {} })).status).toBe(404);

      expect(await client.expect<Announcement>(200, 'POST', `/v1/announcements/${drafted.id}/publish`, { token: stack.ownerToken, body: {} })).toMatchObject({ status: 'published' });
      const theirs = await mine(outsider.owner.token);
      expect(theirs.items.find((item) => item.id === drafted.id)).toMatchObject({ title: 'Planned maintenance', read: false });
      const unreadBefore = theirs.unreadCount as number;
      expect(unreadBefore).toBeGreaterThanOrEqual(1);
      const overview = await client.expect<Overview>(200, 'GET', `/v1/organizations/${outsider.organizationId}/overview`, { token: outsider.owner.token });
      expect(overview.announcements.unreadCount).toBe(unreadBefore);
      expect(overview.announcements.items.map((item) => item.id)).toContain(drafted.id);

      // not addressed to the stack's organization: it does not exist for its people
      expect((await mine(tokens.viewer)).items.map((item) => item.id)).not.toContain(drafted.id);
      expect((await client.call('POST', `/v1/announcements/${drafted.id}/read`, { token: tokens.viewer, body: {} })).status).toBe(404);

      expect(await client.expect<Announcement>(200, 'POST', `/v1/announcements/${drafted.id}/read`, { token: outsider.owner.token, body: {} })).toMatchObject({ id: drafted.id, read: true });
      const head = await eventHead(env.pool);
      expect((await client.call('POST', `/v1/announcements/${drafted.id}/read`, { token: outsider.owner.token, body: {} })).status).toBe(200);
      expect(await eventHead(env.pool)).toBe(head);
      expect((await mine(outsider.owner.token, '?unread=true')).items.map((item) => item.id)).not.toContain(drafted.id);
      expect((await mine(outsider.owner.token)).unreadCount).toBe(unreadBefore - 1);
      const after = await client.expect<Overview>(200, 'GET', `/v1/organizations/${outsider.organizationId}/overview`, { token: outsider.owner.token });
      expect(after.announcements.items.map((item) => item.id)).not.toContain(drafted.id);
    });

    it('to all: every person sees it; a revision shows at once; unpublished, it is gone for readers and listed for administrators', async () => {
      const all = await client.expect<Announcement>(201, 'POST', '/v1/announcements', { token: stack.ownerToken, body: { kind: 'feature', title: 'Dark mode', body: 'The console follows your system.', audience: { type: 'all' } } });
      await client.expect(200, 'POST', `/v1/announcements/${all.id}/publish`, { token: stack.ownerToken, body: {} });
      for (const token of [tokens.viewer, tokens.member, outsider.owner.token]) {
        expect((await mine(token)).items.find((item) => item.id === all.id)).toMatchObject({ read: false });
      }
      const memberOverview = await client.expect<Overview>(200, 'GET', overviewPath(), { token: tokens.member });
      expect(memberOverview.announcements.items.map((item) => item.id)).toContain(all.id);

      await client.expect(200, 'PATCH', `/v1/announcements/${all.id}`, { token: stack.ownerToken, body: { title: 'Dark mode, everywhere' } });
      expect((await mine(tokens.viewer)).items.find((item) => item.id === all.id)?.title).toBe('Dark mode, everywhere');
      // a release cannot take a window, a maintenance cannot lose it
      expect((await client.call('PATCH', `/v1/announcements/${all.id}`, { token: stack.ownerToken, body: { kind: 'maintenance' } })).status).toBe(400);
      expect((await client.call('PATCH', `/v1/announcements/${all.id}`, { token: tokens.admin, body: { title: 'Mine now' } })).status).toBe(403);

      await client.expect(200, 'POST', `/v1/announcements/${all.id}/unpublish`, { token: stack.ownerToken, body: {} });
      expect((await mine(tokens.viewer)).items.map((item) => item.id)).not.toContain(all.id);
      const everything = await client.expect<AnnouncementPage>(200, 'GET', '/v1/announcements?view=all', { token: stack.ownerToken });
      expect(everything.items.find((item) => item.id === all.id)).toMatchObject({ status: 'unpublished', title: 'Dark mode, everywhere' });
      expect((await client.call('POST', `/v1/announcements/${randomUUID()}/publish`, { token: stack.ownerToken, body: {} })).status).toBe(404);
    });

    it('STEWARD_PLATFORM_ADMINS names more administrators (by email here), whatever their organization role', async () => {
      const invitation = await fixtures.invite(stack.ownerToken, stack.workspaceId, 'viewer', CONFIGURED_ADMIN);
      const accepted = await client.expect<{ userId: string; token: string }>(201, 'POST', '/v1/invitations/accept', { body: { token: invitation.token } });
      await fixtures.waitForMember(stack.ownerToken, stack.workspaceId, accepted.userId, 'viewer');
      // a viewer of the organization, an administrator of the platform
      const authored = await waitFor('the configured administrator to author', async () => {
        const answer = await create(accepted.token, { kind: 'release', title: 'Steward 2.1', body: 'Announcements.', audience: { type: 'all' } });
        return answer.status === 201 ? (answer.body as Announcement) : undefined;
      });
      expect(authored.status).toBe('draft');
      expect((await client.call('GET', `/v1/organizations/${stack.organizationId}/billing`, { token: accepted.token })).status).toBe(403);
    });
  });
});
