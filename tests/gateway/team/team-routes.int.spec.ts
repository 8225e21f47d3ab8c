import { randomUUID } from 'node:crypto';
import { TeamStreams, newId } from '@steward/contracts';
import { waitFor } from '@steward/testing';
import { startTeamRoutesHarness, type Answer, type TeamRoutesHarness } from './team-routes.harness';

jest.setTimeout(60_000);


function expectStatus(answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
}

describe('team routes over HTTP (real team-rbac handlers, projections, PostgreSQL, NATS, Redis)', () => {
  let h: TeamRoutesHarness;
  /** Owns a seeded organization, then creates Acme over HTTP. */
  let OWNER: string;
  /** Owns another organization. */
  let OUTSIDER: string;
  /** Owns a third organization; joins Acme signed in. */
  let JOINER: string;
  let organizationId: string;
  let workspaceId: string;
  let otherWorkspaceId: string;

  beforeAll(async () => {
    h = await startTeamRoutesHarness();
    const seeds = await Promise.all([
      h.seedOrganization('u-owner', 'owner@acme.test'),
      h.seedOrganization('u-outsider', 'outsider@other.test'),
      h.seedOrganization('u-joiner', 'joiner@elsewhere.test'),
    ]);
    for (const seed of seeds) await h.caughtUp(TeamStreams.workspace(seed.workspaceId));
    otherWorkspaceId = (seeds[1] as { workspaceId: string }).workspaceId;
    [OWNER, OUTSIDER, JOINER] = await Promise.all([
      h.tokenFor('u-owner', 'owner@acme.test'),
      h.tokenFor('u-outsider', 'outsider@other.test'),
      h.tokenFor('u-joiner', 'joiner@elsewhere.test'),
    ]);
    const created = await h.call('POST', '/v1/organizations', { auth: OWNER, body: { name: 'Acme', workspaceName: 'Main' }, headers: { 'idempotency-key': 'create-acme' } });
    expectStatus(created, 201);
    organizationId = created.body.id;
    workspaceId = created.body.workspace.id;
    await h.caughtUp(TeamStreams.workspace(workspaceId));
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Invites `email` as `role` and has a new person accept; returns their user id and user token header. */
  async function newMember(email: string, role: string, name?: string): Promise<{ userId: string; auth: string }> {
    const invited = await h.call('POST', `/v1/workspaces/${workspaceId}/invitations`, { auth: OWNER, body: { email, role } });
    expectStatus(invited, 201);
    await h.caughtUp(TeamStreams.invitation(invited.body.id));
    const accepted = await h.call('POST', '/v1/invitations/accept', { body: { token: invited.body.token, ...(name ? { name } : {}) } });
    expectStatus(accepted, 201);
    await h.caughtUp(TeamStreams.workspace(workspaceId));
    return { userId: accepted.body.userId, auth: `Bearer ${accepted.body.token as string}` };
  }

  it('creates an organization with its first workspace, answers it with a Location, and replays an Idempotency-Key', async () => {
    const organization = await h.call('GET', `/v1/organizations/${organizationId}`, { auth: OWNER });
    expectStatus(organization, 200);
    expect(organization.body).toMatchObject({ id: organizationId, name: 'Acme', owner: { userId: 'u-owner', email: 'owner@acme.test' }, teamSize: 1 });

    const again = await h.call('POST', '/v1/organizations', { auth: OWNER, body: { name: 'Acme', workspaceName: 'Main' }, headers: { 'idempotency-key': 'create-acme' } });
    expectStatus(again, 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(organizationId);
    expect(again.headers.get('location')).toBe(`/v1/organizations/${organizationId}`);
    expect((await h.store.readStream(TeamStreams.organization(organizationId))).map((event) => event.type)).toEqual(['OrganizationCreated']);

    // another tenant's organization does not exist for the caller
    expectStatus(await h.call('GET', `/v1/organizations/${organizationId}`, { auth: OUTSIDER }), 404);
    expectStatus(await h.call('GET', `/v1/organizations/${organizationId}`), 401);
  });

  it('adds, renames and suspends workspaces; the overview counts them by status', async () => {
    const created = await h.call('POST', `/v1/organizations/${organizationId}/workspaces`, { auth: OWNER, body: { name: 'Research' } });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({ organizationId, name: 'Research', status: 'active' });
    expect(created.headers.get('location')).toBe(`/v1/workspaces/${created.body.id as string}`);
    await h.caughtUp(TeamStreams.workspace(created.body.id));

    const patched = await h.call('PATCH', `/v1/workspaces/${created.body.id as string}`, { auth: OWNER, body: { name: 'Lab', status: 'suspended', reason: 'budget' } });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ id: created.body.id, name: 'Lab', status: 'suspended' });
    await h.caughtUp(TeamStreams.workspace(created.body.id));

    const back = await h.call('PATCH', `/v1/workspaces/${created.body.id as string}`, { auth: OWNER, body: { status: 'active' } });
    expectStatus(back, 200);
    await h.caughtUp(TeamStreams.workspace(created.body.id));
    const suspendedAgain = await h.call('PATCH', `/v1/workspaces/${created.body.id as string}`, { auth: OWNER, body: { status: 'suspended' } });
    expectStatus(suspendedAgain, 200);
    await h.caughtUp(TeamStreams.workspace(created.body.id));

    const workspace = await h.call('GET', `/v1/workspaces/${created.body.id as string}`, { auth: OWNER });
    expectStatus(workspace, 200);
    expect(workspace.body).toMatchObject({ name: 'Lab', status: 'suspended' });

    const list = await h.call('GET', `/v1/organizations/${organizationId}/workspaces?pageSize=1`, { auth: OWNER });
    expectStatus(list, 200);
    expect(list.body).toMatchObject({ total: 2, page: 1, pageSize: 1, pageCount: 2 });
    expect(list.body.items).toHaveLength(1);

    const overview = await h.call('GET', `/v1/organizations/${organizationId}/overview`, { auth: OWNER });
    expectStatus(overview, 200);
    expect(overview.body.organization).toMatchObject({ id: organizationId, name: 'Acme', owner: { userId: 'u-owner' } });
    expect(overview.body.workspaces).toMatchObject({ total: 2, active: 1, suspended: 1, others: 0 });
    expect(overview.body.recentActivity.length).toBeGreaterThan(0);
  });

  it('patches name and status as one command: a retry with the same Idempotency-Key is that command, a refused half refuses the whole', async () => {
    const created = await h.call('POST', `/v1/organizations/${organizationId}/workspaces`, { auth: OWNER, body: { name: 'Ops' } });
    expectStatus(created, 201);
    const ws = created.body.id as string;
    await h.caughtUp(TeamStreams.workspace(ws));
    const typesOf = async (streamId: string) => (await h.store.readStream(streamId)).map((event) => event.type);
    const createdEvents = await typesOf(TeamStreams.workspace(ws));

    const patch = () => h.call('PATCH', `/v1/workspaces/${ws}`, { auth: OWNER, body: { name: 'Ops (paused)', status: 'suspended', reason: 'budget' }, headers: { 'idempotency-key': 'patch-ops' } });
    const first = await patch();
    expectStatus(first, 200);
    expect(first.body).toMatchObject({ id: ws, name: 'Ops (paused)', status: 'suspended' });
    const stream = await h.store.readStream(TeamStreams.workspace(ws));
    const patched = stream.slice(createdEvents.length);
    expect(patched.map((event) => event.type)).toEqual(['WorkspaceRenamed', 'WorkspaceStatusChanged']);
    // one command caused both
    expect(new Set(patched.map((event) => event.metadata.causationId)).size).toBe(1);

    const replayed = await patch();
    expectStatus(replayed, 200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');

    // someone resumes the workspace; then a retry whose first answer was never stored arrives: it is the same
    // command, answered as before, and suspends nothing again
    expectStatus(await h.call('PATCH', `/v1/workspaces/${ws}`, { auth: OWNER, body: { status: 'active' } }), 200);
    await h.forgetIdempotentAnswers();
    const resent = await patch();
    expectStatus(resent, 200);
    expect(resent.headers.get('idempotent-replayed')).toBeNull();
    expect(await typesOf(TeamStreams.workspace(ws))).toEqual([...createdEvents, 'WorkspaceRenamed', 'WorkspaceStatusChanged', 'WorkspaceStatusChanged']);
    expect((await h.call('GET', `/v1/workspaces/${ws}`, { auth: OWNER })).body).toMatchObject({ name: 'Ops (paused)', status: 'active' });

    // a workspace still provisioning cannot be suspended: the rename sent with it does not land either
    const provisioning = newId('workspace');
    const at = new Date().toISOString();
    const metadata = { correlationId: randomUUID(), actor: { type: 'user' as const, id: 'u-owner' }, organizationId, workspaceId: provisioning, occurredAt: at };
    await h.store.append(
      TeamStreams.workspace(provisioning),
      [
        { eventId: randomUUID(), type: 'WorkspaceCreated', version: 1, data: { organizationId, workspaceId: provisioning, name: 'Starting', status: 'provisioning', createdBy: 'u-owner', createdAt: at }, metadata },
        { eventId: randomUUID(), type: 'MemberJoined', version: 1, data: { organizationId, workspaceId: provisioning, userId: 'u-owner', email: 'owner@acme.test', role: 'owner', via: 'creation', joinedAt: at }, metadata },
      ],
      { expectedRevision: 'no_stream' },
    );
    await h.caughtUp(TeamStreams.workspace(provisioning));
    const refused = await h.call('PATCH', `/v1/workspaces/${provisioning}`, { auth: OWNER, body: { name: 'Started', status: 'suspended' } });
    expectStatus(refused, 409);
    expect(refused.body).toMatchObject({ status: 409, detail: 'a workspace cannot go from provisioning to suspended' });
    expect(await typesOf(TeamStreams.workspace(provisioning))).toEqual(['WorkspaceCreated', 'MemberJoined']);
    expect((await h.call('GET', `/v1/workspaces/${provisioning}`, { auth: OWNER })).body).toMatchObject({ name: 'Starting', status: 'provisioning' });
  });

  it('invites, accepts (a new person gets a user token), changes the role with If-Match, and removes the member', async () => {
    const invited = await h.call('POST', `/v1/workspaces/${workspaceId}/invitations`, {
      auth: OWNER,
      body: { email: 'Newcomer@Acme.test', role: 'member', message: 'welcome' },
    });
    expectStatus(invited, 201);
    expect(invited.body).toMatchObject({ workspaceId, organizationId, email: 'newcomer@acme.test', role: 'member', status: 'pending', message: 'welcome' });
    const token = invited.body.token as string;
    expect(token.startsWith(`${invited.body.id as string}.`)).toBe(true);
    expect(invited.headers.get('location')).toBe(`/v1/workspaces/${workspaceId}/invitations/${invited.body.id as string}`);
    await h.caughtUp(TeamStreams.invitation(invited.body.id));

    const listed = await h.call('GET', `/v1/workspaces/${workspaceId}/invitations?status=pending`, { auth: OWNER });
    expectStatus(listed, 200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(invited.body.id);
    expect(listed.text).not.toContain(token.split('.')[1]);

    expectStatus(await h.call('POST', '/v1/invitations/accept', { body: { token: `${invited.body.id as string}.${'x'.repeat(43)}` } }), 403);
    const accepted = await h.call('POST', '/v1/invitations/accept', { body: { token, name: 'New Comer' } });
    expectStatus(accepted, 201);
    expect(accepted.body).toMatchObject({ invitationId: invited.body.id, workspaceId, organizationId, email: 'newcomer@acme.test', role: 'member' });
    expect(accepted.body.token).toMatch(/^stu_/);
    expect(accepted.headers.get('location')).toBe(`/v1/workspaces/${workspaceId}/members/${accepted.body.userId as string}`);
    // issued by the team context: one token for the new person, stored under the invitation's email
    expect(await h.userTokensOf(accepted.body.userId)).toEqual([{ id: (accepted.body.token as string).split('_')[1], email: 'newcomer@acme.test', used: false, revoked: false }]);
    const newcomer = `Bearer ${accepted.body.token as string}`;
    const userId = accepted.body.userId as string;
    expectStatus(await h.call('POST', '/v1/invitations/accept', { body: { token } }), 409);
    await h.caughtUp(TeamStreams.workspace(workspaceId));
    await h.caughtUp(TeamStreams.user(userId)); // the name given on acceptance is the profile's

    const me = await h.call('GET', '/v1/me', { auth: newcomer });
    expectStatus(me, 200);
    expect(me.body).toMatchObject({ userId, name: 'New Comer', email: 'newcomer@acme.test' });
    // a member may not manage the team
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}/members`, { auth: newcomer }), 403);

    const member = await h.call('GET', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER });
    expectStatus(member, 200);
    expect(member.headers.get('etag')).toBe('"member"');
    const promoted = await h.call('PATCH', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER, body: { role: 'admin' }, headers: { 'if-match': '"member"' } });
    expectStatus(promoted, 200);
    expect(promoted.body).toMatchObject({ userId, role: 'admin' });
    expect(promoted.headers.get('etag')).toBe('"admin"');
    // the stale ETag: someone changed the role since
    const stale = await h.call('PATCH', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER, body: { role: 'viewer' }, headers: { 'if-match': '"member"' } });
    expectStatus(stale, 409);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    const staleBody = await h.call('PATCH', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER, body: { role: 'viewer', expectedRole: 'billing' } });
    expectStatus(staleBody, 409);
    // the last owner of an organization stays one (409 with the team's own problem type)
    const lastOwner = await h.call('PATCH', `/v1/workspaces/${otherWorkspaceId}/members/u-outsider`, { auth: OUTSIDER, body: { role: 'admin' } });
    expectStatus(lastOwner, 409);
    expect(lastOwner.body.type).toBe('urn:steward:problem:last-owner');
    // the outsider's workspace is not there for the owner of Acme
    expectStatus(await h.call('PATCH', `/v1/workspaces/${otherWorkspaceId}/members/u-outsider`, { auth: OWNER, body: { role: 'admin' } }), 404);
    await h.caughtUp(TeamStreams.workspace(workspaceId));

    const removed = await h.call('DELETE', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER });
    expectStatus(removed, 204);
    expect(removed.text).toBe('');
    await h.caughtUp(TeamStreams.workspace(workspaceId));
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER }), 404);
    expectStatus(await h.call('DELETE', `/v1/workspaces/${workspaceId}/members/${userId}`, { auth: OWNER }), 404);
    expect((await h.store.readStream(TeamStreams.workspace(workspaceId))).map((event) => event.type).slice(-2)).toEqual(['MemberRoleChanged', 'MemberRemoved']);
  });

  it('revokes an invitation: it can no longer be accepted', async () => {
    const invited = await h.call('POST', `/v1/workspaces/${workspaceId}/invitations`, { auth: OWNER, body: { email: 'maybe@acme.test', role: 'viewer' } });
    expectStatus(invited, 201);
    expectStatus(await h.call('DELETE', `/v1/workspaces/${workspaceId}/invitations/${invited.body.id as string}`, { auth: OWNER }), 204);
    await h.caughtUp(TeamStreams.invitation(invited.body.id));
    const shown = await h.call('GET', `/v1/workspaces/${workspaceId}/invitations/${invited.body.id as string}`, { auth: OWNER });
    expectStatus(shown, 200);
    expect(shown.body.status).toBe('revoked');
    expect(shown.body).not.toHaveProperty('token');
    expectStatus(await h.call('POST', '/v1/invitations/accept', { body: { token: invited.body.token } }), 409);
  });

  it('lets a signed-in person accept as themselves (no new token)', async () => {
    const invited = await h.call('POST', `/v1/workspaces/${workspaceId}/invitations`, { auth: OWNER, body: { email: 'joiner@elsewhere.test', role: 'viewer' } });
    expectStatus(invited, 201);
    await h.caughtUp(TeamStreams.invitation(invited.body.id));
    const tokensBefore = (await h.userTokensOf('u-joiner')).map((token) => token.id);
    const accepted = await h.call('POST', '/v1/invitations/accept', { auth: JOINER, body: { token: invited.body.token } });
    expectStatus(accepted, 201);
    expect(accepted.body).toMatchObject({ userId: 'u-joiner', workspaceId, role: 'viewer' });
    expect(accepted.body).not.toHaveProperty('token');
    expect((await h.userTokensOf('u-joiner')).map((token) => token.id)).toEqual(tokensBefore);
    await h.caughtUp(TeamStreams.workspace(workspaceId));
    const member = await h.call('GET', `/v1/workspaces/${workspaceId}/members/u-joiner`, { auth: OWNER });
    expect(member.body).toMatchObject({ role: 'viewer', email: 'joiner@elsewhere.test' });
    // now in two organizations: the path picks the one the joiner acts in
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}`, { auth: JOINER }), 200);
  });

  it('answers a retried acceptance (same Idempotency-Key) with the first answer, and never takes a used token from its holder', async () => {
    const invited = await h.call('POST', `/v1/workspaces/${workspaceId}/invitations`, { auth: OWNER, body: { email: 'retry@acme.test', role: 'viewer' } });
    expectStatus(invited, 201);
    const accept = () => h.call('POST', '/v1/invitations/accept', { body: { token: invited.body.token, name: 'Re Try' }, headers: { 'idempotency-key': 'accept-retry' } });
    const first = await accept();
    expectStatus(first, 201);
    const userId = first.body.userId as string;
    const tokenId = (first.body.token as string).split('_')[1];

    // the gateway kept the answer: the very same body, token included
    const replayed = await accept();
    expectStatus(replayed, 201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(first.body);

    // the first answer was lost before the gateway stored it: team-rbac answers the same acceptance, and a new
    // secret for the same token, never used yet; the lost secret stops working
    await h.forgetIdempotentAnswers();
    const resent = await accept();
    expectStatus(resent, 201);
    expect({ ...resent.body, token: undefined }).toEqual({ ...first.body, token: undefined });
    expect(resent.body.token).toMatch(new RegExp(`^stu_${tokenId}_`));
    expect(resent.body.token).not.toBe(first.body.token);
    await h.caughtUp(TeamStreams.user(userId));
    expectStatus(await h.call('GET', '/v1/me', { auth: `Bearer ${first.body.token as string}` }), 401);
    const me = await h.call('GET', '/v1/me', { auth: `Bearer ${resent.body.token as string}` });
    expectStatus(me, 200);
    expect(me.body).toMatchObject({ userId, name: 'Re Try', email: 'retry@acme.test' });
    await waitFor('the token recorded as used', async () => ((await h.userTokensOf(userId))[0]?.used ? true : undefined), { timeoutMs: 10_000 });

    // once the token is in use, a retry answers the acceptance without a token and the holder keeps theirs
    await h.forgetIdempotentAnswers();
    const late = await accept();
    expectStatus(late, 201);
    expect(late.body).toEqual({ ...first.body, token: undefined });
    expect(late.body).not.toHaveProperty('token');
    expect(await h.userTokensOf(userId)).toEqual([{ id: tokenId, email: 'retry@acme.test', used: true, revoked: false }]);
    expectStatus(await h.call('GET', '/v1/me', { auth: `Bearer ${resent.body.token as string}` }), 200);
    // one acceptance, one member, one profile event
    expect((await h.store.readStream(TeamStreams.user(userId))).map((event) => event.type)).toEqual(['UserProfileUpdated']);
  });

  it('pages, searches and filters the member list', async () => {
    for (const [n, role] of [
      [1, 'member'],
      [2, 'member'],
      [3, 'billing'],
      [4, 'member'],
    ] as const) {
      await newMember(`pager${n}@acme.test`, role, `Pager ${n}`);
    }
    const all = await h.call('GET', `/v1/workspaces/${workspaceId}/members?pageSize=100`, { auth: OWNER });
    expectStatus(all, 200);
    const total = all.body.total as number;
    expect(total).toBeGreaterThanOrEqual(6);

    const page2 = await h.call('GET', `/v1/workspaces/${workspaceId}/members?page=2&pageSize=2`, { auth: OWNER });
    expectStatus(page2, 200);
    expect(page2.body).toMatchObject({ total, page: 2, pageSize: 2, pageCount: Math.ceil(total / 2) });
    expect(page2.body.items).toEqual(all.body.items.slice(2, 4));

    const search = await h.call('GET', `/v1/workspaces/${workspaceId}/members?search=pager`, { auth: OWNER });
    expect(search.body.total).toBe(4);
    const byName = await h.call('GET', `/v1/workspaces/${workspaceId}/members?search=${encodeURIComponent('Pager 3')}`, { auth: OWNER });
    expect(byName.body.items.map((item: { email: string }) => item.email)).toEqual(['pager3@acme.test']);
    const billing = await h.call('GET', `/v1/workspaces/${workspaceId}/members?role=billing`, { auth: OWNER });
    expect(billing.body.items.map((item: { email: string }) => item.email)).toEqual(['pager3@acme.test']);

    const bad = await h.call('GET', `/v1/workspaces/${workspaceId}/members?pageSize=500&role=king&extra=1`, { auth: OWNER });
    expectStatus(bad, 400);
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['query.extra', 'query.pageSize', 'query.role']);
  });

  it('issues an API key shown once, lists it without the secret, lets it in, and revokes it', async () => {
    const issued = await h.call('POST', `/v1/workspaces/${workspaceId}/api-keys`, { auth: OWNER, body: { name: 'CI', scopes: ['read', 'usage:write'] } });
    expectStatus(issued, 201);
    const key = issued.body.key as string;
    expect(key).toMatch(/^stw_[A-Za-z0-9]{8}_/);
    expect(issued.body).toMatchObject({ name: 'CI', scopes: ['read', 'usage:write'], prefix: key.slice(0, 12), workspaceId, revokedAt: null });
    expect(issued.headers.get('location')).toBe(`/v1/workspaces/${workspaceId}/api-keys/${issued.body.id as string}`);
    await h.caughtUp(TeamStreams.apiKey(issued.body.id));

    const listed = await h.call('GET', `/v1/workspaces/${workspaceId}/api-keys`, { auth: OWNER });
    expectStatus(listed, 200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(issued.body.id);
    expect(listed.text).not.toContain(key);
    expect(listed.text).not.toMatch(/hash/i);
    for (const item of listed.body.items) expect(Object.keys(item)).not.toContain('key');

    // the key reads its workspace, and manages nothing
    const asKey = `Bearer ${key}`;
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}`, { auth: asKey }), 200);
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}/api-keys`, { auth: asKey }), 403);

    expectStatus(await h.call('DELETE', `/v1/workspaces/${workspaceId}/api-keys/${issued.body.id as string}`, { auth: OWNER }), 204);
    expectStatus(await h.call('DELETE', `/v1/workspaces/${workspaceId}/api-keys/${issued.body.id as string}`, { auth: OWNER }), 409);
    await h.caughtUp(TeamStreams.apiKey(issued.body.id));
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}`, { auth: asKey }), 401);
    const shown = await h.call('GET', `/v1/workspaces/${workspaceId}/api-keys/${issued.body.id as string}`, { auth: OWNER });
    expect(shown.body.revokedAt).not.toBeNull();
  });

  it('updates the profile; an unknown time zone is refused', async () => {
    const patched = await h.call('PATCH', '/v1/me', {
      auth: OWNER,
      body: { name: 'Olive Owner', organizationName: 'Acme', timeZone: 'Europe/Paris', customInstructions: 'x'.repeat(4000) },
    });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ userId: 'u-owner', name: 'Olive Owner', timeZone: 'Europe/Paris' });
    await h.caughtUp(TeamStreams.user('u-owner'));
    const cleared = await h.call('PATCH', '/v1/me', { auth: OWNER, body: { customInstructions: null } });
    expect(cleared.body).toMatchObject({ name: 'Olive Owner', customInstructions: null });
    await h.caughtUp(TeamStreams.user('u-owner'));
    const me = await h.call('GET', '/v1/me', { auth: OWNER });
    expect(me.body).toMatchObject({ name: 'Olive Owner', organizationName: 'Acme', timeZone: 'Europe/Paris', customInstructions: null });
  });

  it('lists the activity log with create entries and fetch entries, by cursor, and exports it as CSV', async () => {
    const creates = await h.call('GET', `/v1/organizations/${organizationId}/activity?action=create&resourceType=organization`, { auth: OWNER });
    expectStatus(creates, 200);
    expect(creates.body.items).toEqual([expect.objectContaining({ resourceType: 'organization', action: 'create', resourceId: organizationId, actor: { type: 'user', id: 'u-owner' } })]);

    // the GET of the organization (first test) is a Fetch, the member lists are Fetch All
    const fetched = await waitFor('the fetch entry', async () => {
      const page = await h.call('GET', `/v1/organizations/${organizationId}/activity?action=fetch&resourceType=organization`, { auth: OWNER });
      return page.body.items.some((entry: { resourceId: string }) => entry.resourceId === organizationId) ? page : undefined;
    });
    expect(fetched.body.items[0]).toMatchObject({ source: 'read', actor: { type: 'user', id: 'u-owner' } });
    await waitFor('the fetch_all entry', async () => {
      const page = await h.call('GET', `/v1/organizations/${organizationId}/activity?action=fetch_all&resourceType=member`, { auth: OWNER });
      return page.body.items.length > 0 ? page : undefined;
    });

    const first = await h.call('GET', `/v1/organizations/${organizationId}/activity?limit=3`, { auth: OWNER });
    expectStatus(first, 200);
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await h.call('GET', `/v1/organizations/${organizationId}/activity?limit=3&cursor=${encodeURIComponent(first.body.nextCursor as string)}`, { auth: OWNER });
    expectStatus(second, 200);
    const firstIds = new Set(first.body.items.map((entry: { id: string }) => entry.id));
    expect(second.body.items.some((entry: { id: string }) => firstIds.has(entry.id))).toBe(false);
    expect(second.body.items[0].occurredAt <= first.body.items[2].occurredAt).toBe(true);
    const bogus = await h.call('GET', `/v1/organizations/${organizationId}/activity?cursor=bogus`, { auth: OWNER });
    expectStatus(bogus, 400);
    expect(bogus.body.errors).toEqual([{ field: 'query.cursor', message: 'the cursor is not one this API gave out' }]);
    const searched = await h.call('GET', `/v1/organizations/${organizationId}/activity?q=${encodeURIComponent('u-owner')}&actor=u-owner&from=2020-01-01T00:00:00Z`, { auth: OWNER });
    expectStatus(searched, 200);
    expect(searched.body.items.every((entry: { actor: { id: string } }) => entry.actor.id === 'u-owner')).toBe(true);
    // another organization's log is not there
    expectStatus(await h.call('GET', `/v1/organizations/${organizationId}/activity`, { auth: OUTSIDER }), 404);

    const csv = await h.call('GET', `/v1/organizations/${organizationId}/activity/export?format=csv&action=create`, { auth: OWNER });
    expectStatus(csv, 200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="activity-${organizationId}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    const lines = csv.text.split('\r\n').filter((line) => line !== '');
    expect(lines[0]).toBe('occurred_at,resource_type,action,resource_id,actor_type,actor_id,outcome,summary,workspace_id,id');
    const allCreates = await h.call('GET', `/v1/organizations/${organizationId}/activity?action=create&limit=200`, { auth: OWNER });
    expect(lines).toHaveLength(1 + (allCreates.body.items.length as number));
    expect(lines.slice(1).every((line) => line.split(',')[2] === 'create')).toBe(true);
    expect(lines.some((line) => line.includes(`organization,create,${organizationId},user,u-owner`))).toBe(true);

    const badExport = await h.call('GET', `/v1/organizations/${organizationId}/activity/export?format=xml`, { auth: OWNER });
    expectStatus(badExport, 400);
    expect(badExport.body.errors.map((error: { field: string }) => error.field)).toEqual(['query.format']);
  });

  /** Every entry of the log the caller may read, following the cursor. */
  async function wholeLog(auth: string, query = ''): Promise<Array<{ id: string; workspaceId: string | null; resourceType: string; action: string; resourceId: string | null }>> {
    const items = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await h.call('GET', `/v1/organizations/${organizationId}/activity?limit=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth });
      expectStatus(page, 200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  it('a workspace admin reads and exports only the activity of the workspaces they administer; only the owner sees the rest', async () => {
    const admin = await newMember('ws-admin@acme.test', 'admin');
    const billing = await newMember('ws-billing@acme.test', 'billing');
    const member = await newMember('ws-member@acme.test', 'member');
    // a second workspace of Acme, with activity of its own, that the admin does not administer
    const second = await h.call('POST', `/v1/organizations/${organizationId}/workspaces`, { auth: OWNER, body: { name: 'Owner only' } });
    expectStatus(second, 201);
    await h.caughtUp(TeamStreams.workspace(second.body.id));
    const invited = await h.call('POST', `/v1/workspaces/${second.body.id}/invitations`, { auth: OWNER, body: { email: 'elsewhere@acme.test', role: 'member' } });
    expectStatus(invited, 201);
    await h.caughtUp(TeamStreams.invitation(invited.body.id));
    // an organization-level entry (no workspace): the owner's fetch of the organization
    expectStatus(await h.call('GET', `/v1/organizations/${organizationId}`, { auth: OWNER }), 200);
    const everything = await waitFor('the owner to see the fetch of the organization', async () => {
      const log = await wholeLog(OWNER);
      return log.some((entry) => entry.workspaceId === null && entry.action === 'fetch') ? log : undefined;
    });
    expect(everything.some((entry) => entry.workspaceId === second.body.id && entry.resourceId === invited.body.id)).toBe(true);

    const adminLog = await wholeLog(admin.auth);
    const mainEntries = everything.filter((entry) => entry.workspaceId === workspaceId);
    expect(adminLog.length).toBeGreaterThan(0);
    expect(adminLog.every((entry) => entry.workspaceId === workspaceId)).toBe(true);
    // what the admin sees is the owner's view of that workspace (entries projected in between aside)
    const mainIds = new Set(mainEntries.map((entry) => entry.id));
    expect(mainEntries.filter((entry) => !adminLog.some((seen) => seen.id === entry.id))).toEqual([]);
    expect(adminLog.filter((entry) => !mainIds.has(entry.id)).every((entry) => entry.workspaceId === workspaceId)).toBe(true);
    expect(adminLog.some((entry) => entry.resourceType === 'member' && entry.action === 'create')).toBe(true);
    // asking for the other workspace finds nothing (no 403 that would confirm it exists, no entries)
    expect(await wholeLog(admin.auth, `&workspaceId=${second.body.id}`)).toEqual([]);
    // the billing role reads the log of its workspace (not export); members and viewers are refused
    expect((await wholeLog(billing.auth)).every((entry) => entry.workspaceId === workspaceId)).toBe(true);
    const billingExport = await h.call('GET', `/v1/organizations/${organizationId}/activity/export?format=csv`, { auth: billing.auth });
    expectStatus(billingExport, 403);
    const refused = await h.call('GET', `/v1/organizations/${organizationId}/activity`, { auth: member.auth });
    expectStatus(refused, 403);
    expect(refused.body.title).toBe('Access Restricted');

    const csv = await h.call('GET', `/v1/organizations/${organizationId}/activity/export?format=csv`, { auth: admin.auth });
    expectStatus(csv, 200);
    const rows = csv.text.split('\r\n').filter((line) => line !== '').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    // workspace_id is the last column but one (the id is last; neither holds a comma)
    expect(rows.every((line) => line.split(',').at(-2) === workspaceId)).toBe(true);
    expect(rows.some((line) => line.includes(second.body.id as string))).toBe(false);

    // the dashboard's Recent Activities follow the same rule
    const overview = await h.call('GET', `/v1/organizations/${organizationId}/overview`, { auth: admin.auth });
    expectStatus(overview, 200);
    expect(overview.body.recentActivity.every((entry: { workspaceId: string | null }) => entry.workspaceId === workspaceId)).toBe(true);
    const memberOverview = await h.call('GET', `/v1/organizations/${organizationId}/overview`, { auth: member.auth });
    expectStatus(memberOverview, 200);
    // a member reads none of the log: the section is withheld, and the answer says so
    expect(memberOverview.body.recentActivity).toBeUndefined();
    expect(memberOverview.body.withheld).toContain('recentActivity');
  });

  it('a workspace admin may not create a workspace: that stays with the organization owner', async () => {
    const admin = await newMember('not-a-founder@acme.test', 'admin');
    const head = await h.store.headPosition();
    const refused = await h.call('POST', `/v1/organizations/${organizationId}/workspaces`, { auth: admin.auth, body: { name: 'Mine' } });
    expectStatus(refused, 403);
    expect(refused.body).toMatchObject({ title: 'Access Restricted', detail: 'You do not have admin privileges to manage team settings, users, or billing configuration.' });
    expect((await h.store.readPage({ from: head })).events.filter((event) => event.type === 'WorkspaceCreated')).toEqual([]);
  });

  it('a person removed from every workspace keeps their profile, may found an organization, and finds every tenant route a 404', async () => {
    const gone = await newMember('gone@acme.test', 'admin');
    expectStatus(await h.call('GET', `/v1/workspaces/${workspaceId}/members`, { auth: gone.auth }), 200);
    expectStatus(await h.call('DELETE', `/v1/workspaces/${workspaceId}/members/${gone.userId}`, { auth: OWNER }), 204);
    await h.caughtUp(TeamStreams.workspace(workspaceId));

    const me = await h.call('GET', '/v1/me', { auth: gone.auth });
    expectStatus(me, 200);
    expect(me.body).toMatchObject({ userId: gone.userId, email: 'gone@acme.test' });
    const renamed = await h.call('PATCH', '/v1/me', { auth: gone.auth, body: { name: 'Gone Fishing', timeZone: 'Europe/Paris' } });
    expectStatus(renamed, 200);
    expect(renamed.body).toMatchObject({ name: 'Gone Fishing', timeZone: 'Europe/Paris' });
    for (const path of [
      `/v1/organizations/${organizationId}`,
      `/v1/organizations/${organizationId}/activity`,
      `/v1/organizations/${organizationId}/workspaces`,
      `/v1/workspaces/${workspaceId}`,
      `/v1/workspaces/${workspaceId}/members`,
    ]) {
      const answer = await h.call('GET', path, { auth: gone.auth });
      if (answer.status !== 404) throw new Error(`${path}: expected 404, got ${answer.status} ${answer.text}`);
    }
    expectStatus(await h.call('POST', `/v1/organizations/${organizationId}/workspaces`, { auth: gone.auth, body: { name: 'Sneaky' } }), 404);

    const founded = await h.call('POST', '/v1/organizations', { auth: gone.auth, body: { name: 'Fresh Start' } });
    expectStatus(founded, 201);
    expect(founded.body.owner).toEqual({ userId: gone.userId, email: 'gone@acme.test' });
    await h.caughtUp(TeamStreams.workspace(founded.body.workspace.id));
    const own = await h.call('GET', `/v1/organizations/${founded.body.id}`, { auth: gone.auth });
    expectStatus(own, 200);
    expect(own.body).toMatchObject({ id: founded.body.id, name: 'Fresh Start' });
    expectStatus(await h.call('GET', `/v1/organizations/${organizationId}`, { auth: gone.auth }), 404);
  });

  describe('bad input on every write route: 400 naming the field, nothing appended', () => {
    const cases: Array<{ name: string; method: string; path: () => string; body?: unknown; raw?: string; fields: string[] }> = [
      { name: 'organization: missing name', method: 'POST', path: () => '/v1/organizations', body: {}, fields: ['body.name'] },
      { name: 'organization: wrong type', method: 'POST', path: () => '/v1/organizations', body: { name: 42 }, fields: ['body.name'] },
      { name: 'organization: oversized', method: 'POST', path: () => '/v1/organizations', body: { name: 'x'.repeat(201) }, fields: ['body.name'] },
      { name: 'organization: unknown field', method: 'POST', path: () => '/v1/organizations', body: { name: 'A', ownerId: 'u-x' }, fields: ['body.ownerId'] },
      { name: 'organization: invalid JSON', method: 'POST', path: () => '/v1/organizations', raw: '{"name": "A"', fields: ['body'] },
      { name: 'workspace: blank name', method: 'POST', path: () => `/v1/organizations/${organizationId}/workspaces`, body: { name: '   ' }, fields: ['body.name'] },
      { name: 'workspace: unknown field', method: 'POST', path: () => `/v1/organizations/${organizationId}/workspaces`, body: { name: 'W', status: 'active' }, fields: ['body.status'] },
      { name: 'workspace patch: back to provisioning', method: 'PATCH', path: () => `/v1/workspaces/${workspaceId}`, body: { status: 'provisioning' }, fields: ['body.status'] },
      { name: 'workspace patch: nothing to change', method: 'PATCH', path: () => `/v1/workspaces/${workspaceId}`, body: {}, fields: ['body'] },
      { name: 'workspace patch: wrong type', method: 'PATCH', path: () => `/v1/workspaces/${workspaceId}`, body: { name: ['Main'] }, fields: ['body.name'] },
      { name: 'invite: invalid email', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/invitations`, body: { email: 'not-an-email', role: 'member' }, fields: ['body.email'] },
      { name: 'invite: unknown role', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/invitations`, body: { email: 'a@acme.test', role: 'king' }, fields: ['body.role'] },
      { name: 'invite: missing fields', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/invitations`, body: {}, fields: ['body.email', 'body.role'] },
      {
        name: 'invite: oversized message',
        method: 'POST',
        path: () => `/v1/workspaces/${workspaceId}/invitations`,
        body: { email: 'a@acme.test', role: 'member', message: 'x'.repeat(2001) },
        fields: ['body.message'],
      },
      { name: 'invite: invalid JSON', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/invitations`, raw: 'email=a@acme.test', fields: ['body'] },
      { name: 'accept: missing token', method: 'POST', path: () => '/v1/invitations/accept', body: {}, fields: ['body.token'] },
      { name: 'accept: not a token', method: 'POST', path: () => '/v1/invitations/accept', body: { token: 'hello' }, fields: ['body.token'] },
      { name: 'accept: invalid email', method: 'POST', path: () => '/v1/invitations/accept', body: { token: `inv-1.${'a'.repeat(43)}`, email: 'nope' }, fields: ['body.email'] },
      { name: 'role: unknown role', method: 'PATCH', path: () => `/v1/workspaces/${workspaceId}/members/u-owner`, body: { role: 'king' }, fields: ['body.role'] },
      { name: 'role: missing role', method: 'PATCH', path: () => `/v1/workspaces/${workspaceId}/members/u-owner`, body: { expectedRole: 'owner' }, fields: ['body.role'] },
      { name: 'profile: invalid time zone', method: 'PATCH', path: () => '/v1/me', body: { timeZone: 'Mars/Olympus_Mons' }, fields: ['body.timeZone'] },
      { name: 'profile: oversized instructions', method: 'PATCH', path: () => '/v1/me', body: { customInstructions: 'x'.repeat(4001) }, fields: ['body.customInstructions'] },
      { name: 'profile: wrong type and unknown field', method: 'PATCH', path: () => '/v1/me', body: { name: 7, nickname: 'o' }, fields: ['body.name', 'body.nickname'] },
      { name: 'profile: invalid JSON', method: 'PATCH', path: () => '/v1/me', raw: '[', fields: ['body'] },
      { name: 'api key: unknown scope', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/api-keys`, body: { name: 'K', scopes: ['admin'] }, fields: ['body.scopes.0'] },
      { name: 'api key: missing scopes', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/api-keys`, body: { name: 'K' }, fields: ['body.scopes'] },
      { name: 'api key: bad expiry', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/api-keys`, body: { name: 'K', scopes: ['read'], expiresAt: 'tomorrow' }, fields: ['body.expiresAt'] },
      { name: 'api key: expiry in the past', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/api-keys`, body: { name: 'K', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' }, fields: ['body.expiresAt'] },
      { name: 'api key: oversized name', method: 'POST', path: () => `/v1/workspaces/${workspaceId}/api-keys`, body: { name: 'k'.repeat(201), scopes: ['read'] }, fields: ['body.name'] },
    ];

    it.each(cases.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
      await h.caughtUp(TeamStreams.workspace(workspaceId));
      const head = await h.store.headPosition();
      const answer = await h.call(entry.method, entry.path(), { auth: OWNER, ...(entry.raw !== undefined ? { raw: entry.raw } : { body: entry.body }) });
      expectStatus(answer, 400);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([...entry.fields].sort());
      expect(await h.store.headPosition()).toEqual(head);
      expect((await h.store.readPage({ from: head })).events).toEqual([]);
    });
  });
});
