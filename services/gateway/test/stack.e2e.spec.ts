/**
 * The `npm start` stack as real child processes (migrate, relay, projections,
 * team-rbac, gateway, then the bootstrap) against a test environment: the
 * bootstrap's owner token authenticates, a bad one is a 401 problem, the
 * tenant wall answers 404, a second bootstrap changes nothing, and every
 * child stops cleanly on SIGTERM.
 */
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';

jest.setTimeout(180_000);

describe('the npm start stack', () => {
  let env: TestEnv;
  let stack: Stack;

  const get = (path: string, token?: string) =>
    fetch(`${stack.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { ownerEmail: 'Founder@Example.test' });
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('boots: /readyz, /openapi.json and /docs answer', async () => {
    expect((await get('/readyz')).status).toBe(200);
    const openApi = await get('/openapi.json');
    expect(openApi.status).toBe(200);
    const document = (await openApi.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\.1/);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/me', '/v1/organizations/{orgId}']));
    expect((await get('/docs')).status).toBe(200);
  });

  it('the bootstrap created an organization and workspace and issued the owner a stu_ token', () => {
    expect(stack.ownerToken).toMatch(/^stu_[0-9A-Za-z]{16}_[0-9A-Za-z]{43}$/);
    expect(stack.organizationId).toMatch(/^org_/);
    expect(stack.workspaceId).toMatch(/^ws_/);
  });

  it('the owner token authenticates: GET /v1/me and the organization', async () => {
    const me = await get('/v1/me', stack.ownerToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userId: stack.ownerUserId, email: 'founder@example.test' });

    const organization = await get(`/v1/organizations/${stack.organizationId}`, stack.ownerToken);
    expect(organization.status).toBe(200);
    expect(await organization.json()).toMatchObject({ id: stack.organizationId });
    const members = await get(`/v1/workspaces/${stack.workspaceId}/members`, stack.ownerToken);
    expect(members.status).toBe(200);
  });

  it('no token, a malformed one or an unknown well-formed one: 401 problem', async () => {
    const unknown = `stu_${'A'.repeat(16)}_${'b'.repeat(43)}`;
    const forged = `${stack.ownerToken.slice(0, -1)}${stack.ownerToken.endsWith('x') ? 'y' : 'x'}`;
    for (const token of [undefined, 'not-a-token', unknown, forged]) {
      const response = await get('/v1/me', token);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="steward"');
      expect(await response.json()).toMatchObject({ status: 401, title: 'Authentication Required' });
    }
  });

  it('another organization or workspace is behind the tenant wall: 404', async () => {
    expect((await get('/v1/organizations/org_someone_else', stack.ownerToken)).status).toBe(404);
    expect((await get('/v1/workspaces/ws_someone_else/members', stack.ownerToken)).status).toBe(404);
  });

  it('a second bootstrap is idempotent: same organization, no new token', async () => {
    const again = await stack.bootstrap();
    expect(again).toMatchObject({ created: false, organizationId: stack.organizationId, workspaceId: stack.workspaceId });
    expect(again.ownerToken).toBeUndefined();
    const count = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM steward_gateway.user_tokens');
    expect(Number(count.rows[0]?.n)).toBe(1);
    const organizations = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM rm_team.organizations');
    expect(Number(organizations.rows[0]?.n)).toBe(1);
    expect((await get('/v1/me', stack.ownerToken)).status).toBe(200);
  });

  it('stores only the token hash', async () => {
    const { rows } = await env.pool.query<{ hash: string }>('SELECT hash FROM steward_gateway.user_tokens');
    expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(stack.ownerToken);
  });

  it('reads reach the activity log across the processes: gateway → NATS (batched) → projections, once each', async () => {
    const before = await env.pool.query<{ n: string }>("SELECT count(*) AS n FROM activity_reads.activity_entries WHERE resource_type = 'member' AND action = 'fetch_all'");
    for (let i = 0; i < 20; i++) expect((await get(`/v1/workspaces/${stack.workspaceId}/members`, stack.ownerToken)).status).toBe(200);
    const expected = Number(before.rows[0]?.n) + 20;
    const count = async (): Promise<number> =>
      Number((await env.pool.query<{ n: string }>("SELECT count(*) AS n FROM activity_reads.activity_entries WHERE resource_type = 'member' AND action = 'fetch_all'")).rows[0]?.n);
    await waitFor('the 20 reads in the activity log', async () => ((await count()) >= expected ? true : undefined), { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await count()).toBe(expected);
    const log = await get(`/v1/organizations/${stack.organizationId}/activity?resourceType=member&action=fetch_all&limit=5`, stack.ownerToken);
    expect(log.status).toBe(200);
    expect(((await log.json()) as { items: unknown[] }).items[0]).toMatchObject({ source: 'read', actor: { type: 'user', id: stack.ownerUserId }, workspaceId: stack.workspaceId });
  });

  it('stops cleanly on SIGTERM', async () => {
    const exits = await stack.stop();
    // every process of libs/config/src/processes.ts (more join as the platform grows), these four at least
    expect(Object.keys(exits)).toEqual(expect.arrayContaining(['relay', 'projections', 'team-rbac', 'gateway']));
    for (const [name, exit] of Object.entries(exits)) expect({ name, ...exit }).toEqual({ name, code: 0, signal: null });
  });
});
