/**
 * The operators' view (GET /v1/ops/queues, retry and remove, GET /v1/ops/events) against the whole stack: a
 * runtime connection test made to fail (its credentials unreadable in the secret store) shows in the failed jobs
 * with its error and is retried once they are back; another organization neither sees nor retries it; failed
 * executions list with their errors; a platform administrator (STEWARD_PLATFORM_ADMINS) sees the details
 * an owner does not (while the platform role is being built, a platform administrator also holds an owner or admin role).
 */
import pg from 'pg';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient, type Person } from './support/gateway-client';

jest.setTimeout(180_000);

const PLATFORM_ADMIN = 'platform-admin@example.test';
const QUEUE = 'runtime-connection-tests';

interface OpsQueues {
  scope: string;
  queues: Array<{ name: string; counts: Record<string, number>; failedJobs: Array<{ id: string; error: string; attempts: number; organizationId: string | null }> }>;
  consumers: Array<{ stream: string; name: string; pending: number }>;
  deadLetters: { total: number; items?: unknown[] };
  projections: Array<{ name: string; state: string; lagEvents: number; quarantined: number; quarantine?: unknown[] }>;
}

describe('the operators’ view', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  let pool: pg.Pool;
  let viewer: Person;
  let platformAdmin: string;
  /** An owner of the organization who is no platform administrator (the bootstrap's owner is the first one). */
  let orgOwner: string;
  let other: Awaited<ReturnType<Fixtures['otherOrganization']>>;

  const queues = (token: string): Promise<OpsQueues> => client.expect<OpsQueues>(200, 'GET', '/v1/ops/queues', { token });
  const failedOf = (view: OpsQueues) => view.queues.find((queue) => queue.name === QUEUE)?.failedJobs ?? [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { env: { STEWARD_PLATFORM_ADMINS: PLATFORM_ADMIN } });
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
    viewer = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', 'ops-viewer');
    const invitation = await fixtures.invite(stack.ownerToken, stack.workspaceId, 'owner', PLATFORM_ADMIN);
    platformAdmin = (await client.expect<{ token: string }>(201, 'POST', '/v1/invitations/accept', { body: { token: invitation.token, name: 'Platform admin' } })).token;
    other = await fixtures.otherOrganization(stack, 'ops-other');
    const ownerInvitation = await fixtures.invite(stack.ownerToken, stack.workspaceId, 'owner', 'ops-owner@example.test');
    orgOwner = (await client.expect<{ token: string }>(201, 'POST', '/v1/invitations/accept', { body: { token: ownerInvitation.token, name: 'Organization owner' } })).token;
  }, 180_000);

  afterAll(async () => {
    await pool?.end();
    await stack?.stop();
    await env?.dispose();
  });

  it('a runtime test made to fail shows in the failed jobs with its error; retry runs it again', async () => {
    const base = `/v1/workspaces/${stack.workspaceId}/runtimes`;
    const runtime = await client.expect<{ id: string }>(201, 'POST', base, {
      token: stack.ownerToken,
      body: { name: 'Unreachable cluster', provider: 'onprem_k8s', config: { server: 'https://127.0.0.1:9', namespace: 'ops', token: 'ops-test-token-123' } },
    });
    await waitFor('the runtime', async () => ((await client.call('GET', `${base}/${runtime.id}`, { token: stack.ownerToken })).status === 200 ? true : undefined));
    // its credentials unreadable in the secret store: the test job fails for Steward's own reason, and BullMQ gives up after its attempts
    const owner = `runtime:${stack.workspaceId}:${runtime.id}`;
    const kept = await pool.query<{ ref: string; ciphertext: Buffer }>('SELECT ref, ciphertext FROM steward_secrets.secrets WHERE owner = $1', [owner]);
    expect(kept.rowCount).toBeGreaterThan(0);
    await pool.query("UPDATE steward_secrets.secrets SET ciphertext = '\\x00'::bytea WHERE owner = $1", [owner]);
    const accepted = await client.expect<{ testId: string }>(202, 'POST', `${base}/${runtime.id}/test`, { token: stack.ownerToken, body: {} });

    const failed = await waitFor('the failed test job', async () => failedOf(await queues(orgOwner)).find((job) => job.id === accepted.testId), { timeoutMs: 60_000, intervalMs: 500 });
    expect(failed.error.length).toBeGreaterThan(0);
    expect(failed.attempts).toBe(3);
    expect(failed.organizationId).toBe(stack.organizationId);
    const view = await queues(orgOwner);
    expect(view.queues.find((queue) => queue.name === QUEUE)?.counts.failed).toBeGreaterThanOrEqual(1);
    expect(view.scope).toBe('organization');

    // another organization neither sees it nor retries it (404, as any resource of another tenant)
    expect(failedOf(await queues(other.owner.token)).map((job) => job.id)).not.toContain(accepted.testId);
    expect((await client.call('POST', '/v1/ops/jobs/retry', { token: other.owner.token, body: { queue: QUEUE, jobId: accepted.testId } })).status).toBe(404);
    // a viewer is refused the view
    expect((await client.call('GET', '/v1/ops/queues', { token: viewer.token })).status).toBe(403);

    // the credentials back, a retry runs the test to its outcome (the cluster is unreachable: a failed test, recorded)
    for (const row of kept.rows) await pool.query('UPDATE steward_secrets.secrets SET ciphertext = $2 WHERE ref = $1', [row.ref, row.ciphertext]);
    await client.expect(202, 'POST', '/v1/ops/jobs/retry', { token: orgOwner, body: { queue: QUEUE, jobId: accepted.testId } });
    const outcome = await waitFor(
      'the retried test’s outcome',
      async () => {
        const runtimeView = await client.expect<{ lastTest?: { testId: string; status: string } }>(200, 'GET', `${base}/${runtime.id}`, { token: stack.ownerToken });
        return runtimeView.lastTest?.testId === accepted.testId && runtimeView.lastTest.status !== 'pending' ? runtimeView.lastTest.status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(outcome).toBe('failed');
    expect(failedOf(await queues(orgOwner)).map((job) => job.id)).not.toContain(accepted.testId);
    // retrying what is no longer failed is a 404
    expect((await client.call('POST', '/v1/ops/jobs/retry', { token: orgOwner, body: { queue: QUEUE, jobId: accepted.testId } })).status).toBe(404);

    // the failed test is among the organization's failed executions, with its error; not among the other organization's
    const events = await client.expect<{ items: Array<{ kind: string; id: string; error: string | null }>; total: number }>(200, 'GET', '/v1/ops/events', { token: orgOwner });
    expect(events.items.find((item) => item.kind === 'runtime-test' && item.id === runtime.id)?.error).toBeTruthy();
    const theirs = await client.expect<{ items: Array<{ id: string }> }>(200, 'GET', '/v1/ops/events', { token: other.owner.token });
    expect(theirs.items.map((item) => item.id)).not.toContain(runtime.id);
  });

  it('lists failed jobs with their summary as the error, newest first, paged', async () => {
    for (const [jobId, summary] of [['ops-job-1', 'tool call timed out'], ['ops-job-2', 'model refused the request']]) {
      await client.expect(201, 'POST', `/v1/workspaces/${stack.workspaceId}/jobs`, { token: stack.ownerToken, body: { jobId, agent: 'ops-agent' } });
      await client.expect(200, 'POST', `/v1/workspaces/${stack.workspaceId}/jobs/${jobId}/finish`, { token: stack.ownerToken, body: { status: 'failed', summary } });
    }
    const page = await waitFor('both failed jobs', async () => {
      const answer = await client.expect<{ items: Array<{ kind: string; id: string; error: string | null }>; total: number; pageCount: number }>(200, 'GET', '/v1/ops/events?pageSize=1', { token: orgOwner });
      return answer.total >= 3 ? answer : undefined;
    });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ kind: 'job', id: 'ops-job-2', error: 'model refused the request' });
    const second = await client.expect<{ items: Array<{ id: string; error: string | null }> }>(200, 'GET', '/v1/ops/events?pageSize=1&page=2', { token: orgOwner });
    expect(second.items[0]).toMatchObject({ id: 'ops-job-1', error: 'tool call timed out' });
    expect((await client.call('GET', '/v1/ops/events?pageSize=0', { token: orgOwner })).text).toContain('query.pageSize');
  });

  it('shows the platform’s figures: consumers and projections to owners, their details to platform administrators only', async () => {
    const mine = await queues(orgOwner);
    expect(mine.projections.map((projection) => projection.name)).toContain('activity');
    expect(mine.projections.every((projection) => projection.quarantine === undefined)).toBe(true);
    expect(mine.deadLetters.items).toBeUndefined();
    expect(mine.consumers.length).toBeGreaterThan(0);
    const platform = await queues(platformAdmin);
    expect(platform.scope).toBe('platform');
    expect(Array.isArray(platform.deadLetters.items)).toBe(true);
    expect(platform.projections.every((projection) => Array.isArray(projection.quarantine))).toBe(true);
  });
});
