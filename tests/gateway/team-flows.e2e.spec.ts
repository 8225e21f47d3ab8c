/**
 * The team flows end to end over HTTP against the running stack:
 * create organization → workspace → invite → accept → change role → remove;
 * API key issue → use → revoke → refused; and two admins changing the same
 * member's role at the same moment: one 409 or both applied in order, never
 * one silently dropped (the member's final role and the workspace stream agree).
 */
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient, type Person, uniqueEmail } from './support/gateway-client';

jest.setTimeout(120_000);

interface RoleChange {
  readonly position: number;
  readonly from: string;
  readonly to: string;
  readonly changedBy: string;
}

describe('team flows over HTTP', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  async function roleChanges(workspaceId: string, userId: string, after = 0): Promise<RoleChange[]> {
    const { rows } = await env.pool.query<{ position: string; data: { userId: string; from: string; to: string; changedBy: string } }>(
      `SELECT global_position::text AS position, data FROM steward_events.events
        WHERE stream_id = $1 AND event_type = 'MemberRoleChanged' AND global_position > $2 ORDER BY global_position`,
      [`team-workspace-${workspaceId}`, after],
    );
    return rows
      .filter((row) => row.data.userId === userId)
      .map((row) => ({ position: Number(row.position), from: row.data.from, to: row.data.to, changedBy: row.data.changedBy }));
  }

  it('create organization → workspace → invite → accept → change role → remove', async () => {
    const owner = stack.ownerToken;
    const organization = await client.expect<{ id: string; name: string; workspace: { id: string } }>(201, 'POST', '/v1/organizations', {
      token: owner,
      body: { name: 'Flow Corp', workspaceName: 'Flow main' },
    });
    expect(organization).toMatchObject({ name: 'Flow Corp', owner: { userId: stack.ownerUserId } });
    await waitFor('the new organization', async () => ((await client.call('GET', `/v1/organizations/${organization.id}`, { token: owner })).status === 200 ? true : undefined));

    const workspaceId = await fixtures.createWorkspace(owner, organization.id, 'Flow research');
    const workspaces = await client.expect<{ items: Array<{ id: string; name: string }> }>(200, 'GET', `/v1/organizations/${organization.id}/workspaces`, { token: owner });
    expect(workspaces.items.map((workspace) => workspace.name)).toEqual(expect.arrayContaining(['Flow main', 'Flow research']));

    const email = uniqueEmail('bob');
    const invitation = await fixtures.invite(owner, workspaceId, 'member', email);
    expect(invitation.token.length).toBeGreaterThan(20);
    const pending = await client.expect<{ items: Array<{ id: string; status: string }> }>(200, 'GET', `/v1/workspaces/${workspaceId}/invitations`, { token: owner });
    expect(pending.items).toEqual([expect.objectContaining({ id: invitation.id, status: 'pending' })]);
    expect(JSON.stringify(pending)).not.toContain(invitation.token);

    const accepted = await client.expect<{ userId: string; token: string; workspaceId: string; role: string }>(201, 'POST', '/v1/invitations/accept', {
      body: { token: invitation.token, name: 'Bob Flow' },
    });
    expect(accepted).toMatchObject({ workspaceId, role: 'member', email });
    // the token is spent
    const again = await client.call('POST', '/v1/invitations/accept', { body: { token: invitation.token, name: 'Bob Again' } });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);

    await fixtures.waitForMember(owner, workspaceId, accepted.userId, 'member');
    const bob = accepted.token;
    expect(await client.expect(200, 'GET', '/v1/me', { token: bob })).toMatchObject({ userId: accepted.userId, email });
    expect(await client.expect(200, 'GET', `/v1/workspaces/${workspaceId}`, { token: bob })).toMatchObject({ id: workspaceId });
    // a member may not list members (admin area)
    expect((await client.call('GET', `/v1/workspaces/${workspaceId}/members`, { token: bob })).status).toBe(403);
    await waitFor('the invitation to show accepted', async () => {
      const answer = await client.call('GET', `/v1/workspaces/${workspaceId}/invitations/${invitation.id}`, { token: owner });
      return (answer.body as { status?: string }).status === 'accepted' ? true : undefined;
    });

    const member = await client.call('GET', `/v1/workspaces/${workspaceId}/members/${accepted.userId}`, { token: owner });
    expect(member.headers.get('etag')).toBe('"member"');
    const changed = await client.call('PATCH', `/v1/workspaces/${workspaceId}/members/${accepted.userId}`, {
      token: owner,
      body: { role: 'admin' },
      headers: { 'if-match': '"member"' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ userId: accepted.userId, role: 'admin' });
    await fixtures.waitForMember(owner, workspaceId, accepted.userId, 'admin');
    // a stale If-Match is a 409
    const stale = await client.call('PATCH', `/v1/workspaces/${workspaceId}/members/${accepted.userId}`, {
      token: owner,
      body: { role: 'viewer' },
      headers: { 'if-match': '"member"' },
    });
    expect(stale.status).toBe(409);
    // now an admin: the member list opens
    const list = await client.expect<{ items: Array<{ userId: string; role: string }> }>(200, 'GET', `/v1/workspaces/${workspaceId}/members`, { token: bob });
    expect(list.items).toEqual(expect.arrayContaining([expect.objectContaining({ userId: accepted.userId, role: 'admin' })]));

    await client.expect(204, 'DELETE', `/v1/workspaces/${workspaceId}/members/${accepted.userId}`, { token: owner });
    await fixtures.waitForMember(owner, workspaceId, accepted.userId, 'absent');
    // bob belongs to no organization any more: still signed in, the tenant is walled (404), his own profile answers
    await waitFor('bob walled out of the workspace', async () =>
      (await client.call('GET', `/v1/workspaces/${workspaceId}`, { token: bob })).status === 404 ? true : undefined,
    );
    for (const path of [`/v1/workspaces/${workspaceId}/members`, `/v1/organizations/${organization.id}`]) {
      expect((await client.call('GET', path, { token: bob })).status).toBe(404);
    }
    expect(await client.expect<{ userId: string }>(200, 'GET', '/v1/me', { token: bob })).toMatchObject({ userId: accepted.userId });

    const streamTypes = async (streamId: string): Promise<string[]> =>
      (
        await env.pool.query<{ event_type: string }>('SELECT event_type FROM steward_events.events WHERE stream_id = $1 ORDER BY stream_revision', [streamId])
      ).rows.map((row) => row.event_type);
    expect(await streamTypes(`team-workspace-${workspaceId}`)).toEqual(['WorkspaceCreated', 'WorkspaceStatusChanged', 'MemberJoined', 'MemberJoined', 'MemberRoleChanged', 'MemberRemoved']);
    expect(await streamTypes(`team-invitation-${invitation.id}`)).toEqual(['MemberInvited', 'InvitationAccepted']);
  });

  it('API key: issue → use → revoke → refused (401)', async () => {
    const owner = stack.ownerToken;
    const issued = await fixtures.issueApiKey(owner, stack.workspaceId, ['read'], 'flow key');
    expect(issued.token).toMatch(/^stw_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/);
    // use: a read its scope grants
    expect(await client.expect(200, 'GET', `/v1/workspaces/${stack.workspaceId}`, { token: issued.token })).toMatchObject({ id: stack.workspaceId });
    // not what its scope does not grant, nor another workspace
    const invite = await client.call('POST', `/v1/workspaces/${stack.workspaceId}/invitations`, { token: issued.token, body: { email: uniqueEmail('nope'), role: 'viewer' } });
    expect(invite.status).toBe(403);
    // listed without its secret
    const listed = await client.call('GET', `/v1/workspaces/${stack.workspaceId}/api-keys`, { token: owner });
    expect(listed.text).toContain(issued.prefix);
    expect(listed.text).not.toContain(issued.token);

    await client.expect(204, 'DELETE', `/v1/workspaces/${stack.workspaceId}/api-keys/${issued.id}`, { token: owner });
    const refused = await waitFor('the revoked key to be refused', async () => {
      const answer = await client.call('GET', `/v1/workspaces/${stack.workspaceId}`, { token: issued.token });
      return answer.status === 401 ? answer : undefined;
    });
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 401 });
    const key = await client.expect<{ revokedAt: string | null }>(200, 'GET', `/v1/workspaces/${stack.workspaceId}/api-keys/${issued.id}`, { token: owner });
    expect(key.revokedAt).not.toBeNull();
    // and it stays refused
    expect((await client.call('GET', `/v1/workspaces/${stack.workspaceId}`, { token: issued.token })).status).toBe(401);
  });

  describe('two admins change the same member’s role at the same moment', () => {
    let admins: [Person, Person];

    beforeAll(async () => {
      admins = [
        await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'admin', 'admin-one'),
        await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'admin', 'admin-two'),
      ];
    });

    it('with If-Match (what each saw): exactly one wins, the other is a 409, the final role is the winner’s', async () => {
      for (let round = 0; round < 3; round++) {
        const subject = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'member', `contested-${round}`);
        const head = Number((await env.pool.query<{ head: string }>('SELECT coalesce(max(global_position), 0)::text AS head FROM steward_events.events')).rows[0]?.head);
        const wanted = ['viewer', 'billing'] as const;
        const answers = await Promise.all(
          admins.map((admin, index) =>
            client.call('PATCH', `/v1/workspaces/${stack.workspaceId}/members/${subject.userId}`, {
              token: admin.token,
              body: { role: wanted[index] },
              headers: { 'if-match': '"member"' },
            }),
          ),
        );
        const statuses = answers.map((answer) => answer.status);
        expect([...statuses].sort()).toEqual([200, 409]);
        const winner = statuses.indexOf(200);
        expect(answers[1 - winner]?.body).toMatchObject({ status: 409 });
        const changes = await roleChanges(stack.workspaceId, subject.userId, head);
        expect(changes).toEqual([expect.objectContaining({ from: 'member', to: wanted[winner], changedBy: admins[winner]?.userId })]);
        await fixtures.waitForMember(stack.ownerToken, stack.workspaceId, subject.userId, wanted[winner] as 'viewer' | 'billing');
      }
    });

    it('blind writes (no If-Match): both applied in order, none dropped; the final role is the last event’s', async () => {
      for (let round = 0; round < 3; round++) {
        const subject = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'member', `blind-${round}`);
        const head = Number((await env.pool.query<{ head: string }>('SELECT coalesce(max(global_position), 0)::text AS head FROM steward_events.events')).rows[0]?.head);
        const wanted = ['viewer', 'billing'] as const;
        const answers = await Promise.all(
          admins.map((admin, index) =>
            client.call('PATCH', `/v1/workspaces/${stack.workspaceId}/members/${subject.userId}`, { token: admin.token, body: { role: wanted[index] } }),
          ),
        );
        const changes = await roleChanges(stack.workspaceId, subject.userId, head);
        const applied = answers.map((answer, index) => ({ status: answer.status, index })).filter((answer) => answer.status === 200);
        // every 200 is an event, and every other answer is a 409 (nothing silently dropped)
        expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.status)).toEqual(answers.length === applied.length ? [] : [409]);
        expect(changes).toHaveLength(applied.length);
        expect(changes.map((change) => change.changedBy).sort()).toEqual(applied.map((answer) => admins[answer.index]?.userId).sort());
        // applied in order: each change starts from the role the previous one set
        expect(changes[0]?.from).toBe('member');
        for (let index = 1; index < changes.length; index++) expect(changes[index]?.from).toBe(changes[index - 1]?.to);
        const last = changes[changes.length - 1]?.to as 'viewer' | 'billing';
        await fixtures.waitForMember(stack.ownerToken, stack.workspaceId, subject.userId, last);
      }
    });
  });
});
