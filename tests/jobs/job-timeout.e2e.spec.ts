/**
 * The timeout job: job-history's BullMQ repeatable job finishes jobs still
 * running past JOB_TIMEOUT_MS as timed_out (here 5 s, swept every 0.5 s, so
 * the test need not wait 24 h); finished and younger jobs are left alone.
 * The jobs start now, not in the past: a job overdue from its start could be
 * timed out by a sweep before the test had recorded its step or finish.
 */
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(240_000);

describe('jobs running past the limit', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let key: string;
  let jobs: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { env: { JOB_TIMEOUT_MS: '5000', JOB_TIMEOUT_SWEEP_EVERY_MS: '500' } });
    client = new GatewayClient(stack.url);
    key = (await new Fixtures(client).issueApiKey(stack.ownerToken, stack.workspaceId, ['jobs:write', 'read'], 'agent')).token;
    jobs = `/v1/workspaces/${stack.workspaceId}/jobs`;
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('finishes an abandoned job as timed_out, and leaves finished and young jobs as they are', async () => {
    const now = new Date().toISOString();
    await client.expect(201, 'POST', jobs, { token: key, body: { jobId: 'abandoned', agent: 'crawler', startedAt: now } });
    await client.expect(200, 'POST', `${jobs}/abandoned/steps`, { token: key, body: { steps: [{ stepId: 'a1', type: 'system', content: 'started crawling' }] } });
    await client.expect(201, 'POST', jobs, { token: key, body: { jobId: 'done', agent: 'crawler', startedAt: now } });
    await client.expect(200, 'POST', `${jobs}/done/finish`, { token: key, body: { status: 'cancelled', summary: 'stopped by the user' } });
    // starts in a minute: not overdue for another minute
    await client.expect(201, 'POST', jobs, { token: key, body: { jobId: 'young', agent: 'crawler', startedAt: new Date(Date.now() + 60_000).toISOString() } });

    const abandoned = await waitFor(
      'the abandoned job to time out',
      async () => {
        const answer = await client.expect<{ status: string; summary: string | null; endedAt: string | null; steps: unknown[] }>(200, 'GET', `${jobs}/abandoned`, { token: key });
        return answer.status === 'timed_out' ? answer : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(abandoned.summary).toMatch(/still running after/);
    expect(abandoned.endedAt).not.toBeNull();
    expect(abandoned.steps).toHaveLength(1);

    // timed out is finished: no more steps
    expect((await client.call('POST', `${jobs}/abandoned/steps`, { token: key, body: { steps: [{ stepId: 'a2', type: 'system' }] } })).status).toBe(409);
    expect(await client.expect(200, 'GET', `${jobs}/done`, { token: key })).toMatchObject({ status: 'cancelled', summary: 'stopped by the user' });
    expect(await client.expect(200, 'GET', `${jobs}/young`, { token: key })).toMatchObject({ status: 'running', endedAt: null });
    const listed = await client.expect<{ items: Array<{ jobId: string }> }>(200, 'GET', `${jobs}?status=timed_out`, { token: key });
    expect(listed.items.map((item) => item.jobId)).toEqual(['abandoned']);
  });
});
