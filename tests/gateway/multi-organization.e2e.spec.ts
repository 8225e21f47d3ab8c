/**
 * People of several organizations, on every operation whose path names no organization or workspace
 * (table-driven from GET /openapi.json: an operation missing from the table fails the suite). The owner of
 * the stack's organization A founds organization B; a person is an admin of a workspace of A and a member
 * of a workspace of B; organization C is another tenant. The workspace a request names (query
 * `workspaceId`, header `X-Steward-Workspace`, a CloudEvent's `subject`) decides in which organization the
 * caller acts: both organizations work, with the roles held there, and C's workspace is a 404. An API key
 * naming another workspace than its own in the header is a 404 too, and writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { type Answer, Fixtures, GatewayClient, type Json, type Operation, WORKSPACE_HEADER, loadOperations } from './support/gateway-client';

jest.setTimeout(240_000);

const USAGE_READS = ['getUsageSummary', 'getUsageTimeline', 'getUsageByModel', 'listUsageModels', 'listUsageEvents', 'getUsageStatement'];

interface Caller {
  readonly name: string;
  readonly token: string;
}

/** One request of an operation, for a caller, naming a workspace (or none). */
type Build = (workspaceId: string | undefined) => { path: string; body?: Json; headers?: Record<string, string> | undefined };

function otlpBody(agent: string): Json {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'multi-org-e2e' } }] },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: `invoke_agent ${agent}`,
                kind: 3,
                startTimeUnixNano: String(now - 2_000_000_000n),
                endTimeUnixNano: String(now - 1_000_000_000n),
                attributes: [
                  { key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } },
                  { key: 'gen_ai.agent.name', value: { stringValue: agent } },
                ],
                status: { code: 1 },
              },
            ],
          },
        ],
      },
    ],
  };
}

function cloudEvent(workspaceId: string | undefined): Json {
  return {
    specversion: '1.0',
    type: 'llm.usage',
    id: `mo-${randomBytes(6).toString('hex')}`,
    source: 'multi-org-e2e',
    ...(workspaceId !== undefined ? { subject: workspaceId } : {}),
    data: { provider: 'openai', model: 'gpt-4o', agent: 'multi-org', inputTokens: 10, outputTokens: 2, status: 'success' },
  };
}

const PATHS: Record<string, string> = {
  getUsageSummary: '/v1/usage/summary',
  getUsageTimeline: '/v1/usage/timeline',
  getUsageByModel: '/v1/usage/by-model',
  listUsageModels: '/v1/usage/models',
  listUsageEvents: '/v1/usage/events',
  getUsageStatement: '/v1/usage/statement',
};
/** The job the operators' view is asked to retry or remove: none of the organization's (a 404 to whoever may ask). */
const NO_JOB = { queue: 'runtime-connection-tests', jobId: 'multi-org-no-such-job' };

/**
 * How each operation without a tenant in its path is called, whether it names a workspace, and what a caller
 * gets where it is not simply allowed (`refused`: the status for the person, an admin of A1 and member of B1
 * with no organization role; `owner`: the owner's status where not 2xx).
 */
const TABLE: Record<string, { build: Build; namesWorkspace: boolean; refused?: number; owner?: number }> = {
  getMyProfile: { build: () => ({ path: '/v1/me' }), namesWorkspace: false },
  listMyOrganizations: { build: () => ({ path: '/v1/me/organizations' }), namesWorkspace: false },
  updateMyProfile: { build: () => ({ path: '/v1/me', body: { timeZone: 'Europe/Oslo' } }), namesWorkspace: false },
  listRuntimeProviders: { build: () => ({ path: '/v1/runtime-providers' }), namesWorkspace: false },
  listModelCatalogue: { build: () => ({ path: '/v1/model-catalog?q=gpt' }), namesWorkspace: false },
  createOrganization: { build: () => ({ path: '/v1/organizations', body: { name: `Org ${randomBytes(3).toString('hex')}`, workspaceName: 'main' } }), namesWorkspace: false },
  ...Object.fromEntries(
    USAGE_READS.map((operationId) => [
      operationId,
      { build: (workspaceId: string | undefined) => ({ path: `${PATHS[operationId]}?workspaceId=${workspaceId ?? 'all'}` }), namesWorkspace: true },
    ]),
  ),
  ingestTraces: {
    build: (workspaceId) => ({ path: '/v1/traces', body: otlpBody(`agent-${randomBytes(3).toString('hex')}`), headers: workspaceId ? { [WORKSPACE_HEADER]: workspaceId } : undefined }),
    namesWorkspace: true,
  },
  ingestCloudEvents: { build: (workspaceId) => ({ path: '/api/v1/events', body: cloudEvent(workspaceId) }), namesWorkspace: true },
  listBillingPlans: { build: () => ({ path: '/v1/billing/plans' }), namesWorkspace: false },
  listBudgetAlerts: { build: (workspaceId) => ({ path: `/v1/budget-alerts?workspaceId=${workspaceId ?? 'all'}` }), namesWorkspace: true },
  listAnnouncements: { build: () => ({ path: '/v1/announcements' }), namesWorkspace: false },
  // platform administrators only: the bootstrap's owner is one, the person is not
  createAnnouncement: {
    build: () => ({ path: '/v1/announcements', body: { kind: 'feature', title: `Multi-org ${randomBytes(3).toString('hex')}`, body: 'news', audience: { type: 'all' } } }),
    namesWorkspace: false,
    refused: 403,
  },
  closeBillingPeriods: { build: () => ({ path: '/v1/ops/billing/close-periods', body: {} }), namesWorkspace: false, refused: 403 },
  // the operators' view: an organization's owners and admins (the person holds no organization role)
  getOpsQueues: { build: () => ({ path: '/v1/ops/queues' }), namesWorkspace: false, refused: 403 },
  listOpsEvents: { build: () => ({ path: '/v1/ops/events' }), namesWorkspace: false, refused: 403 },
  retryOpsJob: { build: () => ({ path: '/v1/ops/jobs/retry', body: NO_JOB }), namesWorkspace: false, refused: 403, owner: 404 },
  removeOpsJob: { build: () => ({ path: '/v1/ops/jobs/remove', body: NO_JOB }), namesWorkspace: false, refused: 403, owner: 404 },
};
/** Runs last: it makes the caller a member of yet another organization. */
const LAST = 'createOrganization';

const ok = (answer: Answer): boolean => answer.status >= 200 && answer.status < 300;

describe('a person of several organizations, on every route whose path names no organization', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  let tenantless: Operation[];
  let owner: Caller;
  let person: Caller;
  /** A1 (the stack's) and A2 of organization A; B1 of organization B (founded by A's owner); C1 of another tenant. */
  let workspaceA1: string;
  let workspaceA2: string;
  let organizationB: string;
  let workspaceB1: string;
  let organizationC: string;
  let workspaceC1: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    tenantless = (await loadOperations(client)).filter((operation) => operation.permission !== null && operation.pathParams.length === 0);
    owner = { name: 'owner of A and B', token: stack.ownerToken };
    workspaceA1 = stack.workspaceId;
    workspaceA2 = await fixtures.createWorkspace(stack.ownerToken, stack.organizationId, 'A2');
    const founded = await client.expect<{ id: string; workspace: { id: string } }>(201, 'POST', '/v1/organizations', {
      token: stack.ownerToken,
      body: { name: 'Organization B', workspaceName: 'B1' },
    });
    organizationB = founded.id;
    workspaceB1 = founded.workspace.id;
    await waitFor('organization B to answer its owner', async () => ((await client.call('GET', `/v1/workspaces/${workspaceB1}`, { token: stack.ownerToken })).status === 200 ? true : undefined));
    // a person: admin of A1, member of B1 (invited by the owner into both organizations)
    const joined = await fixtures.newMember(stack.ownerToken, workspaceA1, 'admin', 'two-orgs');
    const invitation = await fixtures.invite(stack.ownerToken, workspaceB1, 'member', joined.email);
    await client.expect(201, 'POST', '/v1/invitations/accept', { token: joined.token, body: { token: invitation.token } });
    await fixtures.waitForMember(stack.ownerToken, workspaceB1, joined.userId, 'member');
    person = { name: 'admin of A1 and member of B1', token: joined.token };
    const other = await fixtures.otherOrganization(stack, 'tenant-c');
    organizationC = other.organizationId;
    workspaceC1 = other.workspaceId;
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('the table covers every such operation of the document', () => {
    expect(tenantless.map((operation) => operation.operationId).sort()).toEqual(Object.keys(TABLE).sort());
  });

  /**
   * What each caller gets, naming a workspace: the owner may everything in A1 and B1; the person acts with
   * their role in the workspace named (admin in A1, member in B1).
   */
  function expected(workspaceId: string): number | 'ok' {
    return workspaceId === workspaceC1 ? 404 : 'ok';
  }

  it('each operation × each caller × a workspace of each organization: allowed there, a 404 for another tenant', async () => {
    const failures: string[] = [];
    const table = [...tenantless].sort((left, right) => Number(left.operationId === LAST) - Number(right.operationId === LAST));
    for (const operation of table) {
      const { build, namesWorkspace, refused, owner: ownerStatus } = TABLE[operation.operationId]!;
      for (const caller of [owner, person]) {
        const targets = namesWorkspace ? [workspaceA1, workspaceB1, workspaceC1] : [undefined];
        for (const workspaceId of targets) {
          const request = build(workspaceId);
          const answer = await client.call(operation.method, request.path, { token: caller.token, body: request.body, headers: request.headers ?? {} });
          const allowed = caller === owner ? (ownerStatus ?? 'ok') : (refused ?? 'ok');
          const want = workspaceId === undefined ? allowed : expected(workspaceId);
          const label = `${caller.name}: ${operation.operationId} ${operation.method} ${request.path}${workspaceId ? ` naming ${workspaceId}` : ''}`;
          if (want === 'ok' ? !ok(answer) : answer.status !== want) failures.push(`${label}: expected ${want}, got ${answer.status} ${answer.text.slice(0, 300)}`);
          if (want === 404 && answer.text.includes(workspaceC1) && !request.path.includes(workspaceC1)) failures.push(`${label}: the 404 names the other tenant's workspace`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('workspace roles decide: the traces of a member land in B1, a workspace admin reads the catalogue, not a member', async () => {
    const agent = `member-agent-${randomBytes(3).toString('hex')}`;
    const answer = await client.call('POST', '/v1/traces', { token: person.token, body: otlpBody(agent), headers: { [WORKSPACE_HEADER]: workspaceB1 } });
    expect(answer.status).toBe(200);
    expect(answer.body).not.toHaveProperty('partialSuccess');
    await waitFor(`the job of ${agent} in B1`, async () => {
      const jobs = await client.call('GET', `/v1/workspaces/${workspaceB1}/jobs?agent=${agent}`, { token: stack.ownerToken });
      return jobs.status === 200 && (jobs.body as { total: number }).total === 1 ? true : undefined;
    });
    // a person who is only a member (no admin anywhere) is refused the catalogue: Model Settings is admin-only
    const member = await fixtures.newMember(stack.ownerToken, workspaceA2, 'member', 'only-member');
    expect((await client.call('GET', '/v1/model-catalog', { token: member.token })).status).toBe(403);
    expect((await client.call('GET', '/v1/model-catalog', { token: person.token })).status).toBe(200);
    // without the header a person is told to name the workspace
    const unnamed = await client.call('POST', '/v1/traces', { token: person.token, body: otlpBody(agent) });
    expect(unnamed.status).toBe(400);
    expect(JSON.stringify(unnamed.body)).toContain(`header.${WORKSPACE_HEADER}`);
  });

  it('GET /v1/me/organizations lists each seat a person holds, with the role there, and no other tenant', async () => {
    const mine = async (token: string) => {
      const answer = await client.expect<{ items: Array<{ id: string; name: string; role: string | null; workspaces: Array<{ workspaceId: string; role: string }> }> }>(200, 'GET', '/v1/me/organizations', { token });
      expect(JSON.stringify(answer.items)).not.toContain(organizationC);
      // the table above had each caller found an organization of their own too: A and B are what this test set up
      return answer.items.filter((item) => item.id === stack.organizationId || item.id === organizationB).sort((left, right) => Number(left.id === organizationB) - Number(right.id === organizationB));
    };
    expect(await mine(person.token)).toEqual([
      { id: stack.organizationId, name: 'My Organization', role: null, workspaces: [{ workspaceId: workspaceA1, role: 'admin' }] },
      { id: organizationB, name: 'Organization B', role: null, workspaces: [{ workspaceId: workspaceB1, role: 'member' }] },
    ]);
    const ownerSeats = await mine(stack.ownerToken);
    expect(ownerSeats.map((organization) => [organization.id, organization.role])).toEqual(
      expect.arrayContaining([
        [stack.organizationId, 'owner'],
        [organizationB, 'owner'],
      ]),
    );
  });

  it('workspaceId=all reads one organization: a person of several names it (400 without, 404 for another tenant)', async () => {
    const without = await client.call('GET', '/v1/usage/summary?workspaceId=all', { token: person.token });
    expect(without.status).toBe(400);
    expect(JSON.stringify(without.body)).toContain('query.organizationId');
    const inA = await client.expect<{ workspaceIds: string[] }>(200, 'GET', `/v1/usage/summary?workspaceId=all&organizationId=${stack.organizationId}`, { token: person.token });
    expect(inA.workspaceIds).toEqual([workspaceA1]);
    const inB = await client.expect<{ workspaceIds: string[] }>(200, 'GET', `/v1/usage/summary?workspaceId=all&organizationId=${organizationB}`, { token: stack.ownerToken });
    expect(inB.workspaceIds).toEqual([workspaceB1]);
    expect((await client.call('GET', `/v1/usage/summary?workspaceId=all&organizationId=${organizationC}`, { token: person.token })).status).toBe(404);
    // a workspace of B with organization A named finds nothing
    expect((await client.call('GET', `/v1/usage/summary?workspaceId=${workspaceB1}&organizationId=${stack.organizationId}`, { token: stack.ownerToken })).status).toBe(404);
  });

  it('an API key naming another workspace in X-Steward-Workspace is a 404 and writes nothing; its own works', async () => {
    const key = await fixtures.issueApiKey(stack.ownerToken, workspaceA1, ['read', 'jobs:write', 'usage:write'], 'otlp key');
    for (const foreign of [workspaceA2, workspaceB1, workspaceC1]) {
      const agent = `foreign-${randomBytes(3).toString('hex')}`;
      const answer = await client.call('POST', '/v1/traces', { token: key.token, body: otlpBody(agent), headers: { [WORKSPACE_HEADER]: foreign } });
      expect(answer.status).toBe(404);
      expect(answer.text).not.toContain(foreign);
      // nothing landed in the key's own workspace either
      const mine = await client.expect<{ total: number }>(200, 'GET', `/v1/workspaces/${workspaceA1}/jobs?agent=${agent}`, { token: stack.ownerToken });
      expect(mine.total).toBe(0);
    }
    const own = `own-${randomBytes(3).toString('hex')}`;
    expect((await client.call('POST', '/v1/traces', { token: key.token, body: otlpBody(own), headers: { [WORKSPACE_HEADER]: workspaceA1 } })).status).toBe(200);
    expect((await client.call('POST', '/v1/traces', { token: key.token, body: otlpBody(`${own}-b`) })).status).toBe(200);
    await waitFor(`the job of ${own} in A1`, async () => {
      const jobs = await client.call('GET', `/v1/workspaces/${workspaceA1}/jobs?agent=${own}`, { token: stack.ownerToken });
      return jobs.status === 200 && (jobs.body as { total: number }).total === 1 ? true : undefined;
    });
  });
});
