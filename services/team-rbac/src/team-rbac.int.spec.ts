import { randomUUID } from 'node:crypto';
import { hashUserToken, parseUserToken } from '@steward/auth';
import {
  TeamErrorCode,
  TeamStreams,
  type AcceptInvitationAnswer,
  type Actor,
  type Role,
  type TeamCommandAnswer,
  type TeamCommandInput,
  type TeamCommandType,
} from '@steward/contracts';
import { USER_TOKENS_TABLE, UserTokenCredentials } from '@steward/team-rbac';
import type { PostgresEventStore } from '@steward/event-store';
import { initTelemetry, resetTelemetryForTests } from '@steward/observability';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { TeamHarness, sha256, user, type CommandOutcome, type SendOptions } from '../test/team-harness';

describe('team-rbac over NATS against PostgreSQL', () => {
  let h: TeamHarness;
  let store: PostgresEventStore;
  const spans = new InMemorySpanExporter();

  const send = <T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor, options: SendOptions = {}): Promise<CommandOutcome> =>
    h.attempt(type, payload, actor, options);

  const expectOk = <T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor): Promise<TeamCommandAnswer> => h.send(type, payload, actor);

  async function refusalOf<T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, actor: Actor, options: SendOptions = {}): Promise<string> {
    const outcome = await send(type, payload, actor, options);
    if (outcome.ok) throw new Error(`${type} was accepted: ${JSON.stringify(outcome.answer)}`);
    return outcome.code;
  }

  const typesIn = async (streamId: string): Promise<string[]> => (await store.readStream(streamId)).map((event) => event.type);

  /** Creates an organization with its workspace, owned by `owner`. */
  async function organization(owner: string): Promise<{ organizationId: string; workspaceId: string }> {
    const { organizationId, workspaceId } = await h.createOrganization(owner, { name: 'Acme' });
    return { organizationId, workspaceId };
  }

  /** Invites `userId` with `role` and has them accept. */
  async function join(workspaceId: string, inviter: string, userId: string, role: Role): Promise<void> {
    await h.join(workspaceId, inviter, userId, role);
  }

  beforeAll(async () => {
    initTelemetry({ serviceName: 'team-rbac-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(spans)] });
    h = await TeamHarness.start({ projections: false, name: 'team-rbac-test' });
    store = h.store;
  });

  afterAll(async () => {
    await h?.close();
    await resetTelemetryForTests();
  });

  it('creates an organization, invites, accepts, changes a role and removes the member', async () => {
    const organizationId = `org-${randomUUID()}`;
    const workspaceId = `ws-${randomUUID()}`;
    const created = await expectOk(
      'CreateOrganization',
      { organizationId, name: 'Acme', workspaceId, workspaceName: 'Main', owner: { userId: 'u-owner', email: 'Owner@Acme.test' } },
      user('u-owner'),
    );
    expect(created).toMatchObject({ ok: true, changed: true, replayed: false });
    expect(created.events).toEqual([
      { type: 'OrganizationCreated', streamId: TeamStreams.organization(organizationId), revision: '0' },
      { type: 'WorkspaceCreated', streamId: TeamStreams.workspace(workspaceId), revision: '0' },
      { type: 'WorkspaceStatusChanged', streamId: TeamStreams.workspace(workspaceId), revision: '1' },
      { type: 'MemberJoined', streamId: TeamStreams.workspace(workspaceId), revision: '2' },
    ]);

    const invitationId = `inv-${randomUUID()}`;
    const token = randomUUID();
    await expectOk('InviteMember', { workspaceId, invitationId, email: 'new@acme.test', role: 'member', message: 'hi', tokenHash: sha256(token) }, user('u-owner'));
    expect(await refusalOf('InviteMember', { workspaceId, invitationId: `inv-${randomUUID()}`, email: 'owner@acme.test', role: 'member', tokenHash: sha256('x') }, user('u-owner'))).toBe(
      TeamErrorCode.MemberExists,
    );
    expect(await refusalOf('AcceptInvitation', { invitationId, tokenHash: sha256('wrong'), userId: 'u-new' }, user('u-new'))).toBe(TeamErrorCode.InvalidToken);
    await expectOk('AcceptInvitation', { invitationId, tokenHash: sha256(token), userId: 'u-new' }, user('u-new'));
    expect(await refusalOf('AcceptInvitation', { invitationId, tokenHash: sha256(token), userId: 'u-new' }, user('u-new'))).toBe(TeamErrorCode.InvitationAccepted);

    // A member manages nobody; an outsider does not even see the workspace.
    expect(await refusalOf('RemoveMember', { workspaceId, userId: 'u-owner' }, user('u-new'))).toBe(TeamErrorCode.Forbidden);
    expect(await refusalOf('RemoveMember', { workspaceId, userId: 'u-new' }, user('u-stranger'))).toBe(TeamErrorCode.NotFound);

    await expectOk('ChangeMemberRole', { workspaceId, userId: 'u-new', role: 'admin' }, user('u-owner'));
    // An admin manages members but cannot make an owner.
    expect(await refusalOf('ChangeMemberRole', { workspaceId, userId: 'u-new', role: 'owner' }, user('u-new'))).toBe(TeamErrorCode.NotOwner);
    await expectOk('RemoveMember', { workspaceId, userId: 'u-new' }, user('u-owner'));

    expect(await typesIn(TeamStreams.workspace(workspaceId))).toEqual([
      'WorkspaceCreated',
      'WorkspaceStatusChanged',
      'MemberJoined',
      'MemberJoined',
      'MemberRoleChanged',
      'MemberRemoved',
    ]);
    expect(await typesIn(TeamStreams.invitation(invitationId))).toEqual(['MemberInvited', 'InvitationAccepted']);
    const [invited] = await store.readStream(TeamStreams.invitation(invitationId));
    expect(invited!.metadata).toMatchObject({ actor: user('u-owner'), organizationId, workspaceId });
  });

  it('keeps the last owner: demoting or removing them is refused and appends nothing', async () => {
    const { organizationId, workspaceId } = await organization('u-solo');
    await join(workspaceId, 'u-solo', 'u-helper', 'admin');
    const before = await typesIn(TeamStreams.workspace(workspaceId));
    expect(await refusalOf('ChangeMemberRole', { workspaceId, userId: 'u-solo', role: 'admin' }, user('u-solo'))).toBe(TeamErrorCode.LastOwner);
    expect(await refusalOf('RemoveMember', { workspaceId, userId: 'u-solo' }, user('u-solo'))).toBe(TeamErrorCode.LastOwner);
    expect(await refusalOf('RemoveMember', { workspaceId, userId: 'u-solo' }, user('u-helper'))).toBe(TeamErrorCode.NotOwner);
    expect(await typesIn(TeamStreams.workspace(workspaceId))).toEqual(before);

    // With a second owner the first may step down; the organization stream records the seats.
    await expectOk('ChangeMemberRole', { workspaceId, userId: 'u-helper', role: 'owner' }, user('u-solo'));
    await expectOk('RemoveMember', { workspaceId, userId: 'u-solo' }, user('u-solo'));
    expect(await typesIn(TeamStreams.organization(organizationId))).toEqual([
      'OrganizationCreated',
      'OrganizationOwnerAdded',
      'OrganizationOwnerRemoved',
    ]);
    expect(await refusalOf('RemoveMember', { workspaceId, userId: 'u-helper' }, user('u-helper'))).toBe(TeamErrorCode.LastOwner);
  });

  it('keeps an owner when two owners of different workspaces demote each other at the same moment', async () => {
    // Owner seats: (ws1, a) and (ws2, b); each demotion alone is fine, both together would leave none.
    const { organizationId, workspaceId: ws1 } = await organization('u-a');
    await join(ws1, 'u-a', 'u-b', 'owner');
    const ws2 = `ws-${randomUUID()}`;
    await expectOk('CreateWorkspace', { organizationId, workspaceId: ws2, name: 'Second', ownerEmail: 'u-b@acme.test' }, user('u-b'));
    await expectOk('RemoveMember', { workspaceId: ws1, userId: 'u-b' }, user('u-b'));
    for (let round = 0; round < 8; round++) {
      const outcomes = await Promise.all([
        send('ChangeMemberRole', { workspaceId: ws1, userId: 'u-a', role: 'admin' }, user('u-b')),
        send('ChangeMemberRole', { workspaceId: ws2, userId: 'u-b', role: 'admin' }, user('u-a')),
      ]);
      const refused = outcomes.filter((outcome) => !outcome.ok);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      // LAST_OWNER on the fresh state; or NOT_FOUND: the other demotion went first and took away the
      // actor's only owner seat, so the other workspace is no longer theirs to see.
      const allowed: string[] = [TeamErrorCode.LastOwner, TeamErrorCode.Conflict, TeamErrorCode.NotFound];
      for (const outcome of refused) expect(allowed).toContain(outcome.ok ? '' : outcome.code);
      const seats = new Map<string, number>();
      for (const event of await store.readStream(TeamStreams.organization(organizationId))) {
        const { workspaceId, userId } = event.data as { workspaceId?: string; userId?: string; ownerUserId?: string; firstWorkspaceId?: string };
        const key = event.type === 'OrganizationCreated' ? `${ws1}/u-a` : `${workspaceId}/${userId}`;
        seats.set(key, (seats.get(key) ?? 0) + (event.type === 'OrganizationOwnerRemoved' ? -1 : 1));
      }
      expect([...seats.values()].filter((count) => count > 0).length).toBeGreaterThanOrEqual(1);
      // Put the one that went through back, for the next round.
      if (outcomes[0]!.ok) await expectOk('ChangeMemberRole', { workspaceId: ws1, userId: 'u-a', role: 'owner' }, user('u-b'));
      if (outcomes[1]!.ok) await expectOk('ChangeMemberRole', { workspaceId: ws2, userId: 'u-b', role: 'owner' }, user('u-a'));
    }
  });

  it('applies two concurrent role changes of one member in order, never dropping one silently', async () => {
    const { workspaceId } = await organization('u-boss');
    await join(workspaceId, 'u-boss', 'u-admin-a', 'admin');
    await join(workspaceId, 'u-boss', 'u-admin-b', 'admin');
    await join(workspaceId, 'u-boss', 'u-target', 'member');
    const roles = ['viewer', 'billing', 'member', 'admin'] as const;
    let applied = 0;
    for (let round = 0; round < 4; round++) {
      const outcomes = await Promise.all([
        send('ChangeMemberRole', { workspaceId, userId: 'u-target', role: roles[round]! }, user('u-admin-a')),
        send('ChangeMemberRole', { workspaceId, userId: 'u-target', role: roles[(round + 1) % 4]! }, user('u-admin-b')),
      ]);
      for (const outcome of outcomes) {
        if (outcome.ok) applied += outcome.answer.changed ? 1 : 0;
        else expect(outcome.code).toBe(TeamErrorCode.Conflict);
      }
    }
    // Every accepted change is in the stream, chained: each starts from the role the previous one left.
    const changes = (await store.readStream(TeamStreams.workspace(workspaceId)))
      .filter((event) => event.type === 'MemberRoleChanged')
      .map((event) => event.data as { from: string; to: string });
    expect(changes.length).toBeGreaterThanOrEqual(4);
    // Each change answered as applied is in the stream: none was lost.
    expect(changes).toHaveLength(applied);
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.from).toBe(changes[i - 1]!.to);
  });

  it('with the role the caller saw as precondition, one of two concurrent changes wins and the other gets CONFLICT', async () => {
    const { workspaceId } = await organization('u-chief');
    await join(workspaceId, 'u-chief', 'u-admin-c', 'admin');
    await join(workspaceId, 'u-chief', 'u-subject', 'member');
    const outcomes = await Promise.all([
      send('ChangeMemberRole', { workspaceId, userId: 'u-subject', role: 'viewer', expectedRole: 'member' }, user('u-chief')),
      send('ChangeMemberRole', { workspaceId, userId: 'u-subject', role: 'billing', expectedRole: 'member' }, user('u-admin-c')),
    ]);
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([expect.objectContaining({ code: TeamErrorCode.Conflict })]);
    const changes = (await typesIn(TeamStreams.workspace(workspaceId))).filter((type) => type === 'MemberRoleChanged');
    expect(changes).toHaveLength(1);
  });

  it('answers a resent command as the first time, appending nothing', async () => {
    const { workspaceId } = await organization('u-again');
    const commandId = randomUUID();
    const payload = { workspaceId, invitationId: `inv-${randomUUID()}`, email: 'twice@acme.test', role: 'viewer' as const, tokenHash: sha256('t') };
    const first = await send('InviteMember', payload, user('u-again'), { commandId });
    const second = await send('InviteMember', payload, user('u-again'), { commandId });
    expect(first).toMatchObject({ ok: true, answer: { replayed: false } });
    expect(second).toMatchObject({ ok: true, answer: { replayed: true } });
    if (first.ok && second.ok) expect(second.answer.events).toEqual(first.answer.events);
    expect(await typesIn(TeamStreams.invitation(payload.invitationId))).toEqual(['MemberInvited']);
  });

  it('answers an invitation with the expiry the decider set, a resent one with the same', async () => {
    const { workspaceId } = await organization('u-expiry');
    const issuedAt = '2026-12-01T08:30:00.000Z';
    const commandId = randomUUID();
    const payload = { workspaceId, invitationId: `inv-${randomUUID()}`, email: 'soon@acme.test', role: 'viewer' as const, tokenHash: sha256('soon') };
    const first = await send('InviteMember', payload, user('u-expiry'), { commandId, issuedAt });
    const again = await send('InviteMember', payload, user('u-expiry'), { commandId, issuedAt: '2026-12-02T00:00:00.000Z' });
    expect(first).toMatchObject({ ok: true, answer: { replayed: false, expiresAt: '2026-12-08T08:30:00.000Z' } });
    expect(again).toMatchObject({ ok: true, answer: { replayed: true, expiresAt: '2026-12-08T08:30:00.000Z' } });
  });

  it('has a new person join, start their profile and get a user token in one command; a resend never hands over a used token', async () => {
    const { organizationId, workspaceId } = await organization('u-host');
    const invitationId = `inv-${randomUUID()}`;
    await expectOk('InviteMember', { workspaceId, invitationId, email: 'Fresh@Acme.test', role: 'member', tokenHash: sha256('fresh') }, user('u-host'));
    const commandId = randomUUID();
    const accept = (tokenHash = sha256('fresh')) =>
      send('AcceptInvitation', { invitationId, tokenHash, userId: 'u-fresh', newUser: { name: 'Fresh Face' } }, user('u-fresh'), { commandId });
    const first = await accept();
    if (!first.ok) throw new Error(`refused: ${first.code}`);
    const answer = first.answer as AcceptInvitationAnswer;
    expect(answer).toMatchObject({
      replayed: false,
      userId: 'u-fresh',
      invitation: { invitationId, organizationId, workspaceId, email: 'fresh@acme.test', role: 'member' },
    });
    expect(answer.events.map((event) => event.type)).toEqual(['InvitationAccepted', 'MemberJoined', 'UserProfileUpdated']);
    const secret = answer.userToken!.token;
    expect(parseUserToken(secret)).toEqual({ id: answer.userToken!.tokenId });
    const credentials = new UserTokenCredentials(h.env.pool);
    expect(await credentials.find(answer.userToken!.tokenId)).toEqual({
      id: answer.userToken!.tokenId,
      userId: 'u-fresh',
      email: 'fresh@acme.test',
      hash: hashUserToken(secret),
      revoked: false,
    });
    // the secret is in no event
    const written = JSON.stringify([...(await store.readStream(TeamStreams.invitation(invitationId))), ...(await store.readStream(TeamStreams.user('u-fresh')))].map(({ data, metadata }) => ({ data, metadata })));
    expect(written).not.toContain(secret);
    expect(written).not.toContain(hashUserToken(secret));

    // resent with a wrong invitation token: refused, though the command id is known
    expect(await accept(sha256('guess'))).toMatchObject({ ok: false, code: TeamErrorCode.InvalidToken });
    // resent before anyone used the token: the same acceptance, the same token id with a new secret; the first stops working
    const resent = await accept();
    if (!resent.ok) throw new Error(`refused: ${resent.code}`);
    const again = resent.answer as AcceptInvitationAnswer;
    expect(again).toMatchObject({ replayed: true, events: answer.events, invitation: answer.invitation, userToken: { tokenId: answer.userToken!.tokenId } });
    expect(again.userToken!.token).not.toBe(secret);
    expect((await credentials.find(answer.userToken!.tokenId))!.hash).toBe(hashUserToken(again.userToken!.token));
    // once used, a resend answers no token and leaves it as it is
    await credentials.recordUse(answer.userToken!.tokenId);
    const late = await accept();
    expect(late).toMatchObject({ ok: true, answer: { replayed: true, invitation: answer.invitation } });
    if (late.ok) expect(late.answer).not.toHaveProperty('userToken');
    expect((await credentials.find(answer.userToken!.tokenId))!.hash).toBe(hashUserToken(again.userToken!.token));
    const { rows } = await h.env.pool.query(`SELECT id FROM ${USER_TOKENS_TABLE} WHERE user_id = 'u-fresh'`);
    expect(rows).toHaveLength(1);
    expect(await typesIn(TeamStreams.user('u-fresh'))).toEqual(['UserProfileUpdated']);
  });

  it('refuses an expired invitation, a workspace of another tenant, and a malformed payload', async () => {
    const { workspaceId } = await organization('u-late');
    const invitationId = `inv-${randomUUID()}`;
    await expectOk('InviteMember', { workspaceId, invitationId, email: 'late@acme.test', role: 'member', tokenHash: sha256('late') }, user('u-late'));
    const eightDaysOn = new Date(Date.now() + 8 * 24 * 3600 * 1000).toISOString();
    expect(await refusalOf('AcceptInvitation', { invitationId, tokenHash: sha256('late'), userId: 'u-tardy' }, user('u-tardy'), { issuedAt: eightDaysOn })).toBe(
      TeamErrorCode.InvitationExpired,
    );
    const other = await organization('u-other');
    expect(await refusalOf('RenameWorkspace', { workspaceId: other.workspaceId, name: 'Mine' }, user('u-late'))).toBe(TeamErrorCode.NotFound);
    expect(await refusalOf('RenameWorkspace', { workspaceId: other.workspaceId, name: 'Mine' }, user('u-other'), { workspaceId })).toBe(TeamErrorCode.NotFound);
    expect(await refusalOf('ChangeWorkspaceStatus', { workspaceId, status: 'provisioning' }, user('u-late'))).toBe(TeamErrorCode.InvalidStatusTransition);
    const malformed = await send('InviteMember', { workspaceId, invitationId: 'x', email: 'not-an-email', role: 'member', tokenHash: 'short' }, user('u-late'));
    expect(malformed).toMatchObject({ ok: false, code: TeamErrorCode.InvalidCommand });
  });

  it('issues an API key and revokes it for good; API keys manage nothing of a team', async () => {
    const { workspaceId } = await organization('u-keys');
    const apiKeyId = `key-${randomUUID()}`;
    const issued = { workspaceId, apiKeyId, name: 'CI', scopes: ['usage:write'], prefix: 'stw_ab12cd34', keyHash: sha256('stw_ab12cd34_secret') };
    await expectOk('IssueApiKey', issued, user('u-keys'));
    const [event] = await store.readStream(TeamStreams.apiKey(apiKeyId));
    expect(JSON.stringify(event!.data)).not.toContain('secret');
    expect(await refusalOf('InviteMember', { workspaceId, invitationId: 'inv-k', email: 'k@acme.test', role: 'admin', tokenHash: sha256('k') }, { type: 'api_key', id: apiKeyId })).toBe(
      TeamErrorCode.Forbidden,
    );
    await expectOk('RevokeApiKey', { workspaceId, apiKeyId }, user('u-keys'));
    expect(await refusalOf('RevokeApiKey', { workspaceId, apiKeyId }, user('u-keys'))).toBe(TeamErrorCode.ApiKeyRevoked);
  });

  it("updates a person's own profile", async () => {
    await expectOk('UpdateUserProfile', { name: 'Ada', timeZone: 'Europe/London', customInstructions: 'Be brief.' }, user('u-ada'));
    const unchanged = await expectOk('UpdateUserProfile', { name: 'Ada' }, user('u-ada'));
    expect(unchanged.changed).toBe(false);
    expect(await refusalOf('UpdateUserProfile', { timeZone: 'Nowhere/Land' }, user('u-ada'))).toBe(TeamErrorCode.InvalidCommand);
    expect(await typesIn(TeamStreams.user('u-ada'))).toEqual(['UserProfileUpdated']);
  });

  it("handles a command inside the caller's trace, the store's append nested in command.handle", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    spans.reset();
    const outcome = await send('UpdateUserProfile', { name: 'Traced' }, user('u-traced'), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(outcome.ok).toBe(true);
    const finished = spans.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const handle = finished.find((span) => span.name === 'command.handle');
    const append = finished.find((span) => span.name === 'eventStore.append');
    expect(handle?.attributes['steward.command.type']).toBe('UpdateUserProfile');
    expect(append?.parentSpanContext?.spanId).toBe(handle?.spanContext().spanId);
  });
});
