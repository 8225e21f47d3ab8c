/**
 * Tenant walls, table-driven from GET /openapi.json: every operation with a
 * path parameter is called, with otherwise valid params and a body generated
 * from its schema, by
 *   (a) the owner of another organization,
 *   (b) an admin of another workspace of the same organization,
 *   (c) an API key of another workspace (same organization, and another organization),
 *   (d) someone who reaches the resource id of another tenant through a path of their own,
 * and must answer a 404 problem that carries nothing of the other tenant; no
 * event is appended and the tenant's things are untouched afterwards.
 * Future routes join by being in the document. The platform's announcements name no tenant: their wall is
 * the audience (an announcement addressed to another organization does not exist for the caller).
 */
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import {
  type Answer,
  Fixtures,
  type Json,
  GatewayClient,
  type Operation,
  bodyFor,
  eventHead,
  fillPath,
  NAMED_PATH_VALUES,
  loadOperations,
  startJobFixture,
} from './support/gateway-client';
import { createRuntimeFixture } from '../runtime/support/runtime-fixtures';
import { draftInvoiceFixture } from '../billing/support/invoice-fixtures';
import { NOTIFICATION_BODY_OVERRIDES, createChannelFixture, testMessageFixture } from '../notifications/support/notification-fixtures';
import { budgetFixture, reservationFixture } from '../budgets/support/budget-fixtures';

jest.setTimeout(120_000);

const ALL_SCOPES = ['read', 'usage:write', 'jobs:write', 'runtimes:write'];
/** Valid values the generator cannot make (a payment's amount): the wall answers for a valid request. */
const BODY_OVERRIDES: Record<string, Record<string, Json>> = {
  recordInvoicePayment: { amountUsd: '49.00' },
  adjustBillingCredits: { amountCredits: '-1', reason: 'wall' },
  defineBudget: { period: 'daily', limitUsd: '100' },
  changeBudget: { limitUsd: '1', name: 'renamed through the wall' },
  reserveBudget: { estimatedCostUsd: '0.01' },
  ...(NOTIFICATION_BODY_OVERRIDES as unknown as Record<string, Record<string, Json>>),
};
/** The path segment before a resource id → which fixture of a tenant it names. */
type ResourceKind = 'invitation' | 'member' | 'apiKey' | 'job' | 'runtime' | 'invoice' | 'budget' | 'reservation' | 'channel' | 'message';
const RESOURCE_BY_SEGMENT: Record<string, ResourceKind> = {
  invitations: 'invitation',
  members: 'member',
  'api-keys': 'apiKey',
  jobs: 'job',
  runtimes: 'runtime',
  invoices: 'invoice',
  budgets: 'budget',
  'budget-reservations': 'reservation',
  'notification-channels': 'channel',
  'notification-deliveries': 'message',
};
/** Tenant A's block budget and its live hold: what the walls must leave as they are. */
const BUDGET_OF_A = 'budget of tenant A';
const HOLD_OF_A = '10';

interface Tenant {
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly invitation: string;
  readonly member: string;
  readonly apiKey: string;
  readonly job: string;
  readonly runtime: string;
  readonly invoice: string;
  readonly channel: string;
  readonly message: string;
  readonly budget: string;
  readonly reservation: string;
}

function resourceKind(operation: Operation, name: string): ResourceKind {
  const segments = operation.path.split('/');
  const index = segments.indexOf(`{${name}}`);
  const kind = RESOURCE_BY_SEGMENT[segments[index - 1] ?? ''];
  if (kind === undefined) {
    throw new Error(`${operation.operationId}: no fixture for path parameter {${name}} of ${operation.path}: add its collection to RESOURCE_BY_SEGMENT`);
  }
  return kind;
}

function pathValues(operation: Operation, tenant: Tenant, resources: Tenant = tenant): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of operation.pathParams) {
    if (name === 'orgId') values[name] = tenant.organizationId;
    else if (name === 'wsId') values[name] = tenant.workspaceId;
    else if (name in NAMED_PATH_VALUES) values[name] = NAMED_PATH_VALUES[name]!;
    else values[name] = resources[resourceKind(operation, name)];
  }
  return values;
}

describe('tenant walls, from the OpenAPI document', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let operations: Operation[];
  let walled: Operation[];
  /** Organization A (the stack's), workspace A1, with one of each resource. */
  let tenantA: Tenant;
  /** Workspace A2 of the same organization. */
  let workspaceA2: string;
  let adminA2: string;
  let keyA2: string;
  /** Organization B with its own resources. */
  let tenantB: Tenant;
  let ownerB: string;
  let keyB: string;
  /** What must never appear in an answer to an outsider. */
  let secretsOfA: string[];

  /** A channel of the organization and a message of its delivery log. */
  async function notificationFixtures(token: string, organizationId: string, label: string): Promise<{ channel: string; message: string }> {
    const channel = await createChannelFixture(client, token, organizationId, `wall channel ${label}`);
    const message = await testMessageFixture(client, token, organizationId, channel);
    // an email channel without SMTP: its attempts fail; once dead, the delivery appends nothing more during the walls
    await waitFor(`the test message of ${label} dead-lettered`, async () => {
      const delivery = await client.call('GET', `/v1/organizations/${organizationId}/notification-deliveries/${message}`, { token });
      return (delivery.body as { status?: string } | undefined)?.status === 'dead' ? true : undefined;
    });
    return { channel, message };
  }

  beforeAll(async () => {
    env = await createTestEnv();
    // one quick retry: the fixtures' test messages are settled (dead) before the walls are tried
    stack = await startStack(env, { env: { NOTIFICATIONS_RETRY_SCHEDULE: '200' } });
    client = new GatewayClient(stack.url);
    const fixtures = new Fixtures(client);
    operations = await loadOperations(client);
    walled = operations.filter((operation) => operation.pathParams.some((name) => name === 'orgId' || name === 'wsId'));

    const owner = stack.ownerToken;
    const invitationA = await fixtures.invite(owner, stack.workspaceId, 'member');
    const memberA = await fixtures.newMember(owner, stack.workspaceId, 'member', 'member-a');
    const keyA = await fixtures.issueApiKey(owner, stack.workspaceId, ALL_SCOPES, 'key of tenant A');
    // A's block budget holds A's reservation (which names no agent) and counts none of A's usage (no agent);
    // a second budget is crossed by A's usage: an alert of A
    const budgetA = await budgetFixture(client, owner, stack.workspaceId, BUDGET_OF_A, { enforcement: 'block', scope: { agent: 'walled-agent' } });
    const alertingA = await budgetFixture(client, owner, stack.workspaceId, `${BUDGET_OF_A}, alerting`, { limitUsd: '0.000001', thresholds: [100] });
    await client.expect(202, 'POST', `/v1/workspaces/${stack.workspaceId}/usage`, {
      token: owner,
      body: { events: [{ id: 'wall-call-a', source: 'walls', time: new Date().toISOString(), provider: 'openai', model: 'gpt-4o', inputTokens: 1000, outputTokens: 10 }] },
    });
    await waitFor('the alert of tenant A', async () => {
      const alerts = await client.expect<{ items: Array<{ budget: { id: string } | null }> }>(200, 'GET', `/v1/budget-alerts?workspaceId=${stack.workspaceId}`, { token: owner });
      return alerts.items.some((alert) => alert.budget?.id === alertingA) ? true : undefined;
    });
    tenantA = {
      organizationId: stack.organizationId,
      workspaceId: stack.workspaceId,
      invitation: invitationA.id,
      member: memberA.userId,
      apiKey: keyA.id,
      job: await startJobFixture(client, owner, stack.workspaceId, 'wall-job-a'),
      runtime: await createRuntimeFixture(client, owner, stack.workspaceId, 'wall runtime a'),
      invoice: await draftInvoiceFixture(env, client, owner, stack.organizationId),
      budget: budgetA,
      reservation: await reservationFixture(client, owner, stack.workspaceId, HOLD_OF_A),
      ...(await notificationFixtures(owner, stack.organizationId, 'a')),
    };
    workspaceA2 = await fixtures.createWorkspace(owner, stack.organizationId, 'Workspace A2');
    adminA2 = (await fixtures.newMember(owner, workspaceA2, 'admin', 'admin-a2')).token;
    keyA2 = (await fixtures.issueApiKey(owner, workspaceA2, ALL_SCOPES, 'key of A2')).token;

    const organizationB = await fixtures.otherOrganization(stack, 'owner-b');
    ownerB = organizationB.owner.token;
    const invitationB = await fixtures.invite(ownerB, organizationB.workspaceId, 'member');
    const memberB = await fixtures.newMember(ownerB, organizationB.workspaceId, 'member', 'member-b');
    const issuedB = await fixtures.issueApiKey(ownerB, organizationB.workspaceId, ALL_SCOPES, 'key of tenant B');
    keyB = issuedB.token;
    tenantB = {
      organizationId: organizationB.organizationId,
      workspaceId: organizationB.workspaceId,
      invitation: invitationB.id,
      member: memberB.userId,
      apiKey: issuedB.id,
      job: await startJobFixture(client, ownerB, organizationB.workspaceId, 'wall-job-b'),
      runtime: await createRuntimeFixture(client, ownerB, organizationB.workspaceId, 'wall runtime b'),
      invoice: await draftInvoiceFixture(env, client, ownerB, organizationB.organizationId),
      ...(await notificationFixtures(ownerB, organizationB.organizationId, 'b')),
      budget: await budgetFixture(client, ownerB, organizationB.workspaceId, 'budget of tenant B'),
      reservation: await reservationFixture(client, ownerB, organizationB.workspaceId),
    };

    const organization = await client.expect<{ name: string; owner: { email: string } }>(200, 'GET', `/v1/organizations/${stack.organizationId}`, { token: owner });
    const workspace = await client.expect<{ name: string }>(200, 'GET', `/v1/workspaces/${stack.workspaceId}`, { token: owner });
    secretsOfA = [organization.name, organization.owner.email, workspace.name, invitationA.email, memberA.email, keyA.prefix, 'key of tenant A', BUDGET_OF_A];
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  /** A 404 problem with nothing of tenant A; else a line naming the case. */
  function wallFailure(label: string, operation: Operation, path: string, answer: Answer): string | undefined {
    const problems: string[] = [];
    if (answer.status !== 404) problems.push(`status ${answer.status}`);
    if (!/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '')) problems.push(`content-type ${answer.headers.get('content-type')}`);
    const body = answer.body as Record<string, unknown> | undefined;
    if (body?.status !== 404) problems.push('body.status is not 404');
    const extra = Object.keys(body ?? {}).filter((key) => !['type', 'title', 'status', 'detail', 'instance', 'errors', 'requestId'].includes(key));
    if (extra.length > 0) problems.push(`non-problem fields ${extra.join(', ')}`);
    const leaked = secretsOfA.filter((secret) => answer.text.toLowerCase().includes(secret.toLowerCase()));
    if (leaked.length > 0) problems.push(`leaks ${leaked.join(', ')}`);
    return problems.length > 0 ? `${label} ${operation.operationId} ${operation.method} ${path}: ${problems.join('; ')} — ${answer.text.slice(0, 300)}` : undefined;
  }

  async function callEach(label: string, cases: Array<{ operation: Operation; path: string; token: string }>): Promise<string[]> {
    const failures: string[] = [];
    for (const { operation, path, token } of cases) {
      const answer = await client.call(operation.method, path, { token, body: bodyFor(operation, BODY_OVERRIDES[operation.operationId]) });
      const failure = wallFailure(label, operation, path, answer);
      if (failure) failures.push(failure);
    }
    return failures;
  }

  const byScope = (scope: Operation['scope']) => walled.filter((operation) => operation.scope === scope);
  const withResourceId = () => walled.filter((operation) => operation.pathParams.some((name) => name !== 'orgId' && name !== 'wsId' && !(name in NAMED_PATH_VALUES)));

  it('the table comes from the document: every team route with a path parameter, bodies generated for every write', () => {
    const ids = walled.map((operation) => operation.operationId);
    expect(ids).toEqual(
      expect.arrayContaining(['getOrganization', 'createWorkspace', 'getWorkspace', 'updateWorkspace', 'inviteMember', 'revokeInvitation', 'changeMemberRole', 'removeMember', 'issueApiKey', 'revokeApiKey', 'listActivity', 'exportActivity']),
    );
    // every operation with a path parameter names its tenant (orgId / wsId), but the platform's announcements (walled by their audience below)
    const untenanted = operations.filter((operation) => operation.pathParams.length > 0 && !walled.includes(operation));
    expect(untenanted.map((operation) => operation.path).filter((path) => !path.startsWith('/v1/announcements/'))).toEqual([]);
    // a body that cannot be generated fails here, naming the operation
    for (const operation of operations) bodyFor(operation);
  });

  it('control: the same reads by the tenant itself answer 2xx (the ids are real, the 404s below are the wall)', async () => {
    const failures: string[] = [];
    let secretsSeen = 0;
    for (const [tenant, token] of [
      [tenantA, stack.ownerToken],
      [tenantB, ownerB],
    ] as const) {
      for (const operation of walled.filter((candidate) => candidate.method === 'GET')) {
        const path = fillPath(operation, pathValues(operation, tenant));
        const answer = await client.call('GET', path, { token });
        if (answer.status < 200 || answer.status > 299) failures.push(`${operation.operationId} ${path}: ${answer.status} ${answer.text.slice(0, 200)}`);
        if (tenant === tenantA) secretsSeen += secretsOfA.filter((secret) => answer.text.toLowerCase().includes(secret.toLowerCase())).length;
      }
    }
    expect(failures).toEqual([]);
    // the leak check looks for strings that the tenant's own answers do carry
    expect(secretsSeen).toBeGreaterThanOrEqual(secretsOfA.length);
  });

  let headBefore: number;

  it('(a) the owner of another organization: 404 on every operation', async () => {
    headBefore = await eventHead(env.pool);
    const failures = await callEach(
      'other organization',
      walled.map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, tenantA)), token: ownerB })),
    );
    expect(failures).toEqual([]);
  });

  it('(b) an admin of another workspace of the same organization: 404 on every workspace operation', async () => {
    const cases = byScope('workspace').map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, tenantA)), token: adminA2 }));
    expect(cases.length).toBeGreaterThan(10);
    expect(await callEach('other workspace', cases)).toEqual([]);
  });

  it('(c) an API key of another workspace, of the same organization or another one: 404', async () => {
    const sameOrganization = byScope('workspace').map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, tenantA)), token: keyA2 }));
    const otherOrganization = walled.map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, tenantA)), token: keyB }));
    const failures = [...(await callEach('key of another workspace', sameOrganization)), ...(await callEach('key of another organization', otherOrganization))];
    expect(failures).toEqual([]);
  });

  it('(d) another tenant’s resource id through a path of one’s own: 404', async () => {
    const operationsWithIds = withResourceId();
    expect(operationsWithIds.length).toBeGreaterThanOrEqual(6);
    const ownWorkspaceA2: Tenant = { ...tenantA, workspaceId: workspaceA2 };
    const failures = [
      ...(await callEach(
        'org B path, org A id',
        operationsWithIds.map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, tenantB, tenantA)), token: ownerB })),
      )),
      // a resource of the organization (an invoice) is its workspaces' alike: this case is about a workspace's own resources
      ...(await callEach(
        'workspace A2 path, workspace A1 id',
        operationsWithIds.filter((operation) => operation.scope === 'workspace').map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, ownWorkspaceA2, tenantA)), token: adminA2 })),
      )),
    ];
    expect(failures).toEqual([]);
  });

  it('no refused call appended an event, and tenant A’s things are untouched', async () => {
    expect(await eventHead(env.pool)).toBe(headBefore);
    const owner = stack.ownerToken;
    expect(await client.expect(200, 'GET', `/v1/workspaces/${tenantA.workspaceId}/invitations/${tenantA.invitation}`, { token: owner })).toMatchObject({ status: 'pending' });
    expect(await client.expect(200, 'GET', `/v1/workspaces/${tenantA.workspaceId}/members/${tenantA.member}`, { token: owner })).toMatchObject({ role: 'member' });
    expect(await client.expect(200, 'GET', `/v1/workspaces/${tenantA.workspaceId}/api-keys/${tenantA.apiKey}`, { token: owner })).toMatchObject({ revokedAt: null });
    expect(await client.expect(200, 'GET', `/v1/workspaces/${tenantA.workspaceId}`, { token: owner })).toMatchObject({ status: 'active' });
    const budget = await client.expect<{ name: string; limitUsd: string; enforcement: string }>(200, 'GET', `/v1/workspaces/${tenantA.workspaceId}/budgets/${tenantA.budget}`, { token: owner });
    expect(budget).toMatchObject({ name: BUDGET_OF_A, limitUsd: '100', enforcement: 'block' });
    // A's hold is still held (nobody released it through the wall) and no other hold was taken: 100 − 10 − 0.01 left
    const reserved = await client.expect<{ reservationId: string; remainingUsd: string | null }>(201, 'POST', `/v1/workspaces/${tenantA.workspaceId}/budget-reservations`, {
      token: owner,
      body: { estimatedCostUsd: '0.01' },
    });
    expect(reserved.remainingUsd).toBe('89.99');
    await client.expect(204, 'DELETE', `/v1/workspaces/${tenantA.workspaceId}/budget-reservations/${reserved.reservationId}`, { token: owner });
    // and B's list of members holds only B's people
    const membersB = await client.expect<{ items: Array<{ userId: string }> }>(200, 'GET', `/v1/workspaces/${tenantB.workspaceId}/members`, { token: ownerB });
    expect(membersB.items.map((member) => member.userId)).not.toContain(tenantA.member);
  });

  it('announcements: one addressed to organization B does not exist for A’s people (404 on marking it read, absent from their list)', async () => {
    const drafted = await client.expect<{ id: string }>(201, 'POST', '/v1/announcements', {
      token: stack.ownerToken,
      body: { kind: 'feature', title: 'For B only', body: 'B’s news', audience: { type: 'organizations', organizationIds: [tenantB.organizationId] } },
    });
    await client.expect(200, 'POST', `/v1/announcements/${drafted.id}/publish`, { token: stack.ownerToken, body: {} });
    const ofB = await client.expect<{ items: Array<{ id: string }> }>(200, 'GET', '/v1/announcements', { token: ownerB });
    expect(ofB.items.map((item) => item.id)).toContain(drafted.id);
    const head = await eventHead(env.pool);
    for (const token of [adminA2, stack.ownerToken]) {
      const list = await client.expect<{ items: Array<{ id: string }> }>(200, 'GET', '/v1/announcements', { token });
      expect(list.items.map((item) => item.id)).not.toContain(drafted.id);
      const answer = await client.call('POST', `/v1/announcements/${drafted.id}/read`, { token, body: {} });
      expect(answer.status).toBe(404);
      expect(answer.text).not.toContain('For B only');
    }
    // nor for an API key, whatever its scopes (announcements are for people)
    expect((await client.call('GET', '/v1/announcements', { token: keyB })).status).toBe(403);
    expect(await eventHead(env.pool)).toBe(head);
  });

  it('budget alerts: another tenant’s workspace is a 404, and "all" shows only one’s own', async () => {
    const failures: string[] = [];
    for (const [label, token] of [
      ['other organization', ownerB],
      ['other workspace', adminA2],
      ['key of another workspace', keyA2],
      ['key of another organization', keyB],
    ] as const) {
      const path = `/v1/budget-alerts?workspaceId=${tenantA.workspaceId}`;
      const failure = wallFailure(label, { operationId: 'listBudgetAlerts', method: 'GET' } as Operation, path, await client.call('GET', path, { token }));
      if (failure) failures.push(failure);
    }
    expect(failures).toEqual([]);
    for (const token of [ownerB, adminA2, keyA2, keyB]) {
      const all = await client.call('GET', '/v1/budget-alerts?workspaceId=all', { token });
      expect(all.status).toBe(200);
      expect(all.text.toLowerCase()).not.toContain(BUDGET_OF_A.toLowerCase());
    }
    // control: A's owner sees the alert
    expect((await client.call('GET', '/v1/budget-alerts?workspaceId=all', { token: stack.ownerToken })).text).toContain(BUDGET_OF_A);
  });

  it('the walls hold in the other direction: B’s things stay invisible to A’s owner', async () => {
    const failures = await callEach(
      'A owner, B path',
      walled
        .filter((operation) => operation.method === 'GET')
        .map((operation) => ({ operation, path: fillPath(operation, pathValues(operation, tenantB)), token: stack.ownerToken })),
    );
    expect(failures).toEqual([]);
  });
});
