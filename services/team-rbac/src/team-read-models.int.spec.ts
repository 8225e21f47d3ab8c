import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { TeamStreams, type Actor, type TeamCommandAnswer, type TeamCommandInput, type TeamCommandType } from '@steward/contracts';
import { ActivityRepository, ReadModelError, ReadModelErrorCode, TEAM_SCHEMA } from '@steward/team-rbac';
import { TeamHarness, sha256, user, type TeamReads } from '../test/team-harness';

jest.setTimeout(60_000);

const DAY = 86_400_000;

describe('team read models, projected from the real team-rbac handlers', () => {
  let h: TeamHarness;
  let team: TeamReads;
  let activity: ActivityRepository;

  const ok = <T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor, issuedAt?: string): Promise<TeamCommandAnswer> =>
    h.send(type, payload, actor, issuedAt !== undefined ? { issuedAt } : {});

  /** Until both projections have applied the last event of `streamId` (the stream the latest command wrote). */
  const caughtUp = (streamId: string): Promise<void> => h.caughtUp(streamId);

  // Organization A: three workspaces (active, suspended, attention), five people in ws1.
  const orgA = `org-${randomUUID()}`;
  const ws1 = `ws-${randomUUID()}`;
  const ws2 = `ws-${randomUUID()}`;
  const ws3 = `ws-${randomUUID()}`;
  const orgB = `org-${randomUUID()}`;
  const wsB = `ws-${randomUUID()}`;
  const tokens = { pending: randomUUID(), revoked: randomUUID(), expired: randomUUID() };
  const invitations = { pending: `inv-${randomUUID()}`, revoked: `inv-${randomUUID()}`, expired: `inv-${randomUUID()}` };
  const keys = { live: `key-${randomUUID()}`, revoked: `key-${randomUUID()}` };
  const keyHashes = { live: sha256('stw_live0001_secret-live'), revoked: sha256('stw_gone0001_secret-gone') };

  beforeAll(async () => {
    h = await TeamHarness.start({ name: 'team-read-models-test' });
    team = h.team;
    activity = h.activity;

    await ok('CreateOrganization', { organizationId: orgA, name: 'Acme', workspaceId: ws1, workspaceName: 'Main', owner: { userId: 'u-a', email: 'Owner@Acme.test' } }, user('u-a'));
    await ok('CreateWorkspace', { organizationId: orgA, workspaceId: ws2, name: 'Second', ownerEmail: 'owner@acme.test' }, user('u-a'));
    await ok('CreateWorkspace', { organizationId: orgA, workspaceId: ws3, name: 'Third', ownerEmail: 'owner@acme.test' }, user('u-a'));
    await ok('ChangeWorkspaceStatus', { workspaceId: ws2, status: 'suspended' }, user('u-a'));
    await ok('ChangeWorkspaceStatus', { workspaceId: ws3, status: 'attention', reason: 'quota' }, user('u-a'));
    for (const [userId, role] of [
      ['u-alice', 'admin'],
      ['u-bob', 'member'],
      ['u-carol', 'viewer'],
      ['u-dave', 'member'],
    ] as const) {
      const invitationId = `inv-${userId}`;
      await ok('InviteMember', { workspaceId: ws1, invitationId, email: `${userId}@acme.test`, role, tokenHash: sha256(userId) }, user('u-a'));
      await ok('AcceptInvitation', { invitationId, tokenHash: sha256(userId), userId }, user(userId));
    }
    await ok('UpdateUserProfile', { name: 'Alice Liddell', organizationName: 'Wonderland', timeZone: 'Europe/London', customInstructions: 'Be brief.' }, user('u-alice'));
    await ok('InviteMember', { workspaceId: ws1, invitationId: invitations.pending, email: 'pending@acme.test', role: 'member', message: 'welcome', tokenHash: sha256(tokens.pending) }, user('u-a'));
    await ok('InviteMember', { workspaceId: ws1, invitationId: invitations.revoked, email: 'revoked@acme.test', role: 'viewer', tokenHash: sha256(tokens.revoked) }, user('u-a'));
    await ok('RevokeInvitation', { workspaceId: ws1, invitationId: invitations.revoked }, user('u-a'));
    await ok(
      'InviteMember',
      { workspaceId: ws1, invitationId: invitations.expired, email: 'late@acme.test', role: 'member', tokenHash: sha256(tokens.expired) },
      user('u-a'),
      new Date(Date.now() - 8 * DAY).toISOString(),
    );
    await ok('IssueApiKey', { workspaceId: ws1, apiKeyId: keys.live, name: 'CI', scopes: ['usage:write'], prefix: 'stw_live0001', keyHash: keyHashes.live }, user('u-a'));
    await ok('IssueApiKey', { workspaceId: ws1, apiKeyId: keys.revoked, name: 'Old', scopes: ['usage:write'], prefix: 'stw_gone0001', keyHash: keyHashes.revoked }, user('u-a'));
    await ok('RevokeApiKey', { workspaceId: ws1, apiKeyId: keys.revoked }, user('u-alice'));
    await ok('ChangeMemberRole', { workspaceId: ws1, userId: 'u-dave', role: 'viewer' }, user('u-alice'));

    await ok('CreateOrganization', { organizationId: orgB, name: 'Other', workspaceId: wsB, workspaceName: 'Theirs', owner: { userId: 'u-b', email: 'b@other.test' } }, user('u-b'));
    await caughtUp(TeamStreams.workspace(wsB));
  });

  afterAll(async () => {
    await h?.close();
  });

  it('describes the organization with its owner and derived team size', async () => {
    const organization = await team.organizations.getOrganization(orgA);
    expect(organization).toMatchObject({
      id: orgA,
      name: 'Acme',
      owner: { userId: 'u-a', email: 'owner@acme.test', name: null },
      teamSize: 5,
    });
    expect(await team.organizations.getOrganization(orgB)).toMatchObject({ teamSize: 1 });
    expect(await team.organizations.getOrganization('org-nope')).toBeUndefined();
  });

  it('counts workspaces by status for the dashboard, with the newest activity', async () => {
    expect(await team.organizations.workspaceCounts(orgA)).toEqual({ total: 3, active: 1, suspended: 1, others: 1, provisioning: 0, attention: 1 });
    const overview = await team.organizations.organizationOverview(orgA, { recentActivity: 3 });
    expect(overview?.workspaces?.total).toBe(3);
    expect(overview?.recentActivity?.map((entry) => entry.summary)).toEqual([
      'Member u-dave role changed from member to viewer',
      'API key revoked',
      'API key "Old" (stw_gone0001) issued',
    ]);
    expect(overview?.recentActivity?.every((entry) => entry.organizationId === orgA)).toBe(true);
    // a reader of none of the log: the section is left out, not empty; workspaces likewise when asked
    const withheld = await team.organizations.organizationOverview(orgA, { activityWorkspaces: [], workspaces: false });
    expect(withheld).toBeDefined();
    expect(withheld && 'recentActivity' in withheld).toBe(false);
    expect(withheld?.workspaces).toBeUndefined();
    expect(await team.organizations.organizationOverview(`org-${randomUUID()}`)).toBeUndefined();
    expect(await team.organizations.workspaceCounts(orgB)).toMatchObject({ total: 1, active: 1 });
  });

  it('lists and gets workspaces within the organization only', async () => {
    const page = await team.organizations.listWorkspaces(orgA, { page: 1, pageSize: 2 });
    expect(page).toMatchObject({ total: 3, page: 1, pageSize: 2, pageCount: 2 });
    expect(page.items.map((w) => w.id)).toEqual([ws1, ws2]);
    expect((await team.organizations.listWorkspaces(orgA, { page: 2, pageSize: 2 })).items.map((w) => w.id)).toEqual([ws3]);
    expect((await team.organizations.listWorkspaces(orgA, { status: 'attention' })).items.map((w) => w.name)).toEqual(['Third']);
    expect(await team.organizations.getWorkspace(orgA, ws2)).toMatchObject({ id: ws2, organizationId: orgA, name: 'Second', status: 'suspended' });
    expect(await team.organizations.getWorkspace(orgB, ws2)).toBeUndefined();
    expect((await team.organizations.listWorkspaces(orgB)).items.map((w) => w.id)).toEqual([wsB]);
    await expect(team.organizations.listWorkspaces(orgA, { pageSize: 101 })).rejects.toMatchObject({ code: ReadModelErrorCode.InvalidArgument });
  });

  it('lists members with search by email or profile name, role filter and page totals', async () => {
    const all = await team.members.listMembers(ws1, { pageSize: 2 });
    expect(all).toMatchObject({ total: 5, pageCount: 3, page: 1 });
    const pages = [all, await team.members.listMembers(ws1, { page: 2, pageSize: 2 }), await team.members.listMembers(ws1, { page: 3, pageSize: 2 })];
    expect(pages.flatMap((p) => p.items.map((m) => m.userId))).toEqual(['u-a', 'u-alice', 'u-bob', 'u-carol', 'u-dave']);
    expect((await team.members.listMembers(ws1, { search: 'LIDDELL' })).items.map((m) => m.userId)).toEqual(['u-alice']);
    expect((await team.members.listMembers(ws1, { search: 'u-bob@' })).items).toEqual([
      expect.objectContaining({ userId: 'u-bob', email: 'u-bob@acme.test', role: 'member', name: null, workspaceId: ws1, organizationId: orgA }),
    ]);
    // LIKE wildcards in the search are literal.
    expect((await team.members.listMembers(ws1, { search: '%' })).total).toBe(0);
    expect((await team.members.listMembers(ws1, { role: 'viewer' })).items.map((m) => m.userId)).toEqual(['u-carol', 'u-dave']);
    expect(await team.members.listMembers(ws1, { role: 'viewer', search: 'u-dave', pageSize: 1 })).toMatchObject({ total: 1, items: [{ userId: 'u-dave' }] });
    // a page past the end has no row to carry the total: it is counted apart
    expect(await team.members.listMembers(ws1, { page: 4, pageSize: 2 })).toMatchObject({ items: [], total: 5, pageCount: 3, page: 4 });
    expect(await team.members.listMembers(ws1, { role: 'viewer', page: 2, pageSize: 2 })).toMatchObject({ items: [], total: 2 });
    expect(await team.members.getMember(ws1, 'u-alice')).toMatchObject({ name: 'Alice Liddell', role: 'admin' });
    expect(await team.members.getMember(wsB, 'u-alice')).toBeUndefined();
    expect((await team.members.listMembers(wsB)).items.map((m) => m.userId)).toEqual(['u-b']);
  });

  it('lists invitations with derived expiry and never exposes the token or its hash', async () => {
    const all = await team.invitations.listInvitations(ws1, { pageSize: 100 });
    expect(all.total).toBe(7);
    const statusOf = (id: string): string | undefined => all.items.find((i) => i.id === id)?.status;
    expect(statusOf(invitations.pending)).toBe('pending');
    expect(statusOf(invitations.revoked)).toBe('revoked');
    expect(statusOf(invitations.expired)).toBe('expired');
    expect(statusOf('inv-u-bob')).toBe('accepted');
    expect((await team.invitations.listInvitations(ws1, { status: 'pending' })).items.map((i) => i.id)).toEqual([invitations.pending]);
    expect((await team.invitations.listInvitations(ws1, { status: 'expired' })).items.map((i) => i.id)).toEqual([invitations.expired]);
    expect((await team.invitations.listInvitations(ws1, { status: 'accepted' })).total).toBe(4);
    // Eight days on, the pending one has expired too.
    expect((await team.invitations.listInvitations(ws1, { status: 'expired', now: new Date(Date.now() + 8 * DAY) })).total).toBe(2);
    expect(await team.invitations.getInvitation(ws1, invitations.pending)).toMatchObject({ email: 'pending@acme.test', message: 'welcome', invitedBy: 'u-a' });
    expect(await team.invitations.getInvitation(wsB, invitations.pending)).toBeUndefined();
    expect((await team.invitations.listInvitations(wsB)).total).toBe(0);

    const exposed = JSON.stringify([all, await team.invitations.getInvitation(ws1, invitations.pending)]);
    for (const token of Object.values(tokens)) {
      expect(exposed).not.toContain(token);
      expect(exposed).not.toContain(sha256(token));
    }
    expect(exposed).not.toMatch(/token/i);
    // Not even stored on the read side.
    const stored = await (h.db as Kysely<{ invitations: Record<string, unknown> }>).withSchema(TEAM_SCHEMA).selectFrom('invitations').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(sha256(tokens.pending));
  });

  it('lists API keys without the hash; authenticateApiKey alone returns it, with the revocation', async () => {
    const page = await team.apiKeys.listApiKeys(ws1);
    expect(page.total).toBe(2);
    expect(page.items.map((k) => k.id)).toEqual([keys.revoked, keys.live]);
    expect(page.items[0]).toMatchObject({ name: 'Old', prefix: 'stw_gone0001', scopes: ['usage:write'], issuedBy: 'u-a', lastUsedAt: null });
    expect(page.items[0]!.revokedAt).not.toBeNull();
    const single = await team.apiKeys.getApiKey(ws1, keys.live);
    expect(single).toMatchObject({ id: keys.live, revokedAt: null });
    const exposed = JSON.stringify([page, single]);
    for (const hash of Object.values(keyHashes)) expect(exposed).not.toContain(hash);
    expect(exposed).not.toMatch(/hash/i);

    expect(await team.credentials.authenticateApiKey('stw_live0001')).toEqual({
      keyId: keys.live,
      workspaceId: ws1,
      organizationId: orgA,
      scopes: ['usage:write'],
      hash: keyHashes.live,
      revoked: false,
      expiresAt: null,
    });
    expect(await team.credentials.authenticateApiKey('stw_gone0001')).toMatchObject({ keyId: keys.revoked, revoked: true });
    expect(await team.credentials.authenticateApiKey('stw_none0000')).toBeUndefined();

    const at = new Date();
    expect(await team.apiKeyUse.recordUse(ws1, keys.live, at)).toBe(true);
    expect(await team.apiKeyUse.recordUse(ws1, keys.live, new Date(at.getTime() - 1000))).toBe(false);
    expect(await team.apiKeyUse.recordUse(wsB, keys.live, at)).toBe(false);
    expect((await team.apiKeys.getApiKey(ws1, keys.live))?.lastUsedAt).toBe(at.toISOString());
    expect(await team.apiKeys.getApiKey(wsB, keys.live)).toBeUndefined();
    expect((await team.apiKeys.listApiKeys(wsB)).total).toBe(0);
  });

  it('keeps profiles and memberships for building principals', async () => {
    expect(await team.profiles.getProfile('u-alice')).toMatchObject({
      userId: 'u-alice',
      email: 'u-alice@acme.test',
      name: 'Alice Liddell',
      organizationName: 'Wonderland',
      timeZone: 'Europe/London',
      customInstructions: 'Be brief.',
    });
    expect(await team.profiles.getProfile('u-bob')).toMatchObject({ email: 'u-bob@acme.test', name: null });
    expect(await team.profiles.getProfile('u-nobody')).toBeUndefined();
    const owner = await team.credentials.membershipsOf('u-a');
    expect(owner.organizations).toEqual([{ organizationId: orgA, role: 'owner' }]);
    expect(new Set(owner.workspaces.map((w) => w.workspaceId))).toEqual(new Set([ws1, ws2, ws3]));
    expect(owner.workspaces.every((w) => w.role === 'owner' && w.organizationId === orgA)).toBe(true);
    // The creator of an organization holds its owner seat from the start (one workspace, no OwnerAdded).
    expect((await team.credentials.membershipsOf('u-b')).organizations).toEqual([{ organizationId: orgB, role: 'owner' }]);
    expect(await team.credentials.membershipsOf('u-dave')).toEqual({
      userId: 'u-dave',
      workspaces: [{ workspaceId: ws1, organizationId: orgA, role: 'viewer' }],
      organizations: [],
      // no organization role makes a platform administrator
      platformAdmin: false,
    });
    expect((await team.credentials.membershipsOf('u-b')).platformAdmin).toBe(false);
  });

  it('follows role changes and removals', async () => {
    await ok('RemoveMember', { workspaceId: ws1, userId: 'u-carol' }, user('u-alice'));
    await caughtUp(TeamStreams.workspace(ws1));
    expect(await team.members.getMember(ws1, 'u-carol')).toBeUndefined();
    expect((await team.members.listMembers(ws1)).total).toBe(4);
    expect((await team.organizations.getOrganization(orgA))?.teamSize).toBe(4);
    expect((await team.credentials.membershipsOf('u-carol')).workspaces).toEqual([]);
  });

  it('files every team change in the activity log with actor, time and outcome', async () => {
    const members = await activity.listActivity(orgA, { resourceType: 'member', limit: 200 });
    expect(members.items.filter((e) => e.action === 'create')).toHaveLength(7); // u-a in 3 workspaces + 4 joins
    expect(members.items.find((e) => e.action === 'delete')).toMatchObject({
      resourceId: 'u-carol',
      actor: { type: 'user', id: 'u-alice' },
      outcome: 'success',
      source: 'event',
      workspaceId: ws1,
    });
    const revokedKey = await activity.listActivity(orgA, { resourceType: 'api_key', action: 'delete' });
    expect(revokedKey.items).toEqual([expect.objectContaining({ resourceId: keys.revoked, actor: { type: 'user', id: 'u-alice' } })]);
    const statuses = await activity.listActivity(orgA, { search: 'attention' });
    expect(statuses.items.map((e) => e.summary)).toEqual(['Workspace status changed from active to attention: quota']);
    // Another organization's log has only its own entries.
    const other = await activity.listActivity(orgB, { limit: 200 });
    expect(other.items.length).toBeGreaterThan(0);
    expect(other.items.every((e) => e.organizationId === orgB)).toBe(true);
    expect(await activity.listActivity(orgB, { search: 'Acme' })).toEqual({ items: [], nextCursor: null });
    await expect(activity.listActivity(orgA, { cursor: 'garbage' })).rejects.toBeInstanceOf(ReadModelError);
  });
});
