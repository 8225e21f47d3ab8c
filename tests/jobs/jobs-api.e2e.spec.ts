/**
 * Job History over HTTP, against the whole stack (gateway, job-history,
 * projections, relay as child processes): an agent with an API key starts a
 * job, records every step type in batches (resending one), finishes it; people
 * of the workspace list, filter, page (by number and by cursor) and open jobs,
 * including one without steps.
 */
import { MAX_STEP_CONTENT_BYTES, TRUNCATION_MARKER, isCurrentId } from '@steward/contracts';
import { StewardJobClient } from '../../libs/sdk/src/jobs';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(120_000);

interface JobDetail {
  jobId: string;
  agent: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  summary: string | null;
  input: string | null;
  stepCount: number;
  message: string | null;
  steps: Array<{
    sequence: number;
    stepId: string;
    type: string;
    content: string | null;
    toolName: string | null;
    toolStatus: string | null;
    parameters: unknown;
    result: unknown;
    durationMs: number | null;
    truncated: Array<{ field: string; originalBytes: number }> | null;
  }>;
}

interface JobPage {
  items: Array<{ jobId: string; agent: string; status: string; startedAt: string; endedAt: string | null; durationMs: number | null }>;
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
  nextCursor: string | null;
}

describe('Job History over HTTP', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let agentKey: string;
  let readKey: string;
  let viewer: string;
  let jobs: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    const fixtures = new Fixtures(client);
    agentKey = (await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['jobs:write', 'read'], 'agent')).token;
    readKey = (await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['read'], 'reader')).token;
    viewer = (await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', 'job-viewer')).token;
    jobs = `/v1/workspaces/${stack.workspaceId}/jobs`;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  async function detail(jobId: string, until: (job: JobDetail) => boolean): Promise<JobDetail> {
    return waitFor(`job ${jobId} in the read model`, async () => {
      const answer = await client.call('GET', `${jobs}/${jobId}`, { token: viewer });
      if (answer.status !== 200) return undefined;
      const job = answer.body as JobDetail;
      return until(job) ? job : undefined;
    });
  }

  const big = 'x'.repeat(MAX_STEP_CONTENT_BYTES + 10_000);
  const batch = [
    { stepId: 's1', type: 'user_message', content: 'Find me a flight to Oslo on Friday' },
    { stepId: 's2', type: 'tool_call', toolName: 'search_flights', toolStatus: 'pending', parameters: { to: 'OSL', day: 'friday' } },
    { stepId: 's3', type: 'tool_result', toolName: 'search_flights', toolStatus: 'success', result: { flights: [{ id: 'SK1470' }] }, durationMs: 412 },
    { stepId: 's4', type: 'assistant_response', content: 'SK1470 leaves at 07:05.' },
    { stepId: 's5', type: 'system', content: 'price cache refreshed' },
  ];

  it('an agent starts a job, records every step type, resends a batch, and finishes it; the detail shows it all in order', async () => {
    const started = await client.expect<{ jobId: string; status: string }>(201, 'POST', jobs, {
      token: agentKey,
      body: { jobId: 'trip-1', agent: 'travel-planner', input: 'Oslo on Friday', startedAt: '2026-11-20T09:00:00.000Z', metadata: { channel: 'chat' } },
    });
    expect(started).toEqual({ jobId: 'trip-1', status: 'running', changed: true });

    expect(await client.expect(200, 'POST', `${jobs}/trip-1/steps`, { token: agentKey, body: { steps: batch } })).toEqual({ jobId: 'trip-1', recorded: 5, skipped: 0 });
    // the same batch again (a retry after a lost answer) and a batch mixing old and new steps
    expect(await client.expect(200, 'POST', `${jobs}/trip-1/steps`, { token: agentKey, body: { steps: batch } })).toEqual({ jobId: 'trip-1', recorded: 0, skipped: 5 });
    const more = [batch[3], { stepId: 's6', type: 'assistant_response', content: big }];
    expect(await client.expect(200, 'POST', `${jobs}/trip-1/steps`, { token: agentKey, body: { steps: more } })).toEqual({ jobId: 'trip-1', recorded: 1, skipped: 1 });

    const finished = await client.expect(200, 'POST', `${jobs}/trip-1/finish`, {
      token: agentKey,
      body: { status: 'success', summary: 'Booked SK1470', endedAt: '2026-11-20T09:02:30.000Z' },
    });
    expect(finished).toEqual({ jobId: 'trip-1', status: 'success', changed: true });
    // finished: no more steps, no other outcome; the same finish again changes nothing
    const late = await client.call('POST', `${jobs}/trip-1/steps`, { token: agentKey, body: { steps: [{ stepId: 's7', type: 'system', content: 'late' }] } });
    expect(late.status).toBe(409);
    expect(late.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await client.call('POST', `${jobs}/trip-1/finish`, { token: agentKey, body: { status: 'failed' } })).status).toBe(409);
    expect(await client.expect(200, 'POST', `${jobs}/trip-1/finish`, { token: agentKey, body: { status: 'success' } })).toMatchObject({ changed: false });

    const job = await detail('trip-1', (candidate) => candidate.status === 'success' && candidate.steps.length === 6);
    expect(job).toMatchObject({
      jobId: 'trip-1',
      agent: 'travel-planner',
      status: 'success',
      startedAt: '2026-11-20T09:00:00.000Z',
      endedAt: '2026-11-20T09:02:30.000Z',
      durationMs: 150_000,
      summary: 'Booked SK1470',
      input: 'Oslo on Friday',
      stepCount: 6,
      message: null,
    });
    expect(job.steps.map((step) => [step.sequence, step.stepId, step.type])).toEqual([
      [1, 's1', 'user_message'],
      [2, 's2', 'tool_call'],
      [3, 's3', 'tool_result'],
      [4, 's4', 'assistant_response'],
      [5, 's5', 'system'],
      [6, 's6', 'assistant_response'],
    ]);
    expect(job.steps[1]).toMatchObject({ toolName: 'search_flights', toolStatus: 'pending', parameters: { to: 'OSL', day: 'friday' } });
    expect(job.steps[2]).toMatchObject({ toolName: 'search_flights', toolStatus: 'success', result: { flights: [{ id: 'SK1470' }] }, durationMs: 412 });
    const cut = job.steps[5]!;
    expect(cut.content!.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(Buffer.byteLength(cut.content!, 'utf8')).toBeLessThanOrEqual(MAX_STEP_CONTENT_BYTES);
    expect(cut.truncated).toEqual([{ field: 'content', originalBytes: big.length }]);
  });

  it('a job without steps says so', async () => {
    const { jobId } = await client.expect<{ jobId: string }>(201, 'POST', jobs, { token: agentKey, body: { agent: 'silent-agent' } });
    expect(isCurrentId('job', jobId)).toBe(true);
    const job = await detail(jobId, () => true);
    expect(job).toMatchObject({ status: 'running', endedAt: null, steps: [], message: 'No detailed steps recorded for this job.' });
  });

  it('lists jobs newest first with filters by agent, status and time, and pages with total and page count', async () => {
    // 7 more jobs of two agents, an hour apart
    for (let i = 0; i < 7; i++) {
      const jobId = `batch-${i}`;
      const startedAt = new Date(Date.UTC(2026, 10, 21, i)).toISOString();
      await client.expect(201, 'POST', jobs, { token: agentKey, body: { jobId, agent: i % 2 === 0 ? 'indexer' : 'reporter', startedAt } });
      if (i < 4) {
        await client.expect(200, 'POST', `${jobs}/${jobId}/finish`, {
          token: agentKey,
          body: { status: i === 1 ? 'failed' : 'success', endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString() },
        });
      }
    }
    const all = await waitFor('9 jobs listed, 4 of them finished', async () => {
      const page = await client.expect<JobPage>(200, 'GET', `${jobs}?pageSize=100`, { token: viewer });
      return page.total === 9 && page.items.filter((item) => item.jobId.startsWith('batch-') && item.endedAt !== null).length === 4 ? page : undefined;
    });
    // newest first: the job without steps (started now), then batch-6 … batch-0, then trip-1
    expect(all.items.slice(1).map((item) => item.jobId)).toEqual(['batch-6', 'batch-5', 'batch-4', 'batch-3', 'batch-2', 'batch-1', 'batch-0', 'trip-1']);
    expect(all.items.find((item) => item.jobId === 'batch-1')).toMatchObject({ agent: 'reporter', status: 'failed', durationMs: 60_000 });

    const indexer = await client.expect<JobPage>(200, 'GET', `${jobs}?agent=indexer`, { token: readKey });
    expect(indexer.items.map((item) => item.jobId)).toEqual(['batch-6', 'batch-4', 'batch-2', 'batch-0']);
    const failed = await client.expect<JobPage>(200, 'GET', `${jobs}?status=failed`, { token: viewer });
    expect(failed.items.map((item) => item.jobId)).toEqual(['batch-1']);
    const running = await client.expect<JobPage>(200, 'GET', `${jobs}?status=running&agent=indexer`, { token: viewer });
    expect(running.items.map((item) => item.jobId)).toEqual(['batch-6', 'batch-4']);
    const window = await client.expect<JobPage>(200, 'GET', `${jobs}?from=2026-11-21T02:00:00Z&to=2026-11-21T05:00:00Z`, { token: viewer });
    expect(window.items.map((item) => item.jobId)).toEqual(['batch-4', 'batch-3', 'batch-2']);

    const page2 = await client.expect<JobPage>(200, 'GET', `${jobs}?page=2&pageSize=4`, { token: viewer });
    expect(page2).toMatchObject({ total: 9, page: 2, pageSize: 4, pageCount: 3 });
    expect(page2.items.map((item) => item.jobId)).toEqual(['batch-3', 'batch-2', 'batch-1', 'batch-0']);
    const past = await client.expect<JobPage>(200, 'GET', `${jobs}?page=9&pageSize=4`, { token: viewer });
    expect(past).toMatchObject({ items: [], total: 9, pageCount: 3, nextCursor: null });

    // the same list page after page by cursor: every job once, in order; the last page has no cursor
    const walked: string[] = [];
    let cursorPage = await client.expect<JobPage>(200, 'GET', `${jobs}?pageSize=4`, { token: viewer });
    const pages = [cursorPage];
    while (cursorPage.nextCursor !== null) {
      cursorPage = await client.expect<JobPage>(200, 'GET', `${jobs}?pageSize=4&cursor=${encodeURIComponent(cursorPage.nextCursor)}`, { token: viewer });
      pages.push(cursorPage);
    }
    for (const each of pages) walked.push(...each.items.map((item) => item.jobId));
    expect(walked).toEqual(all.items.map((item) => item.jobId));
    expect(pages.map((each) => [each.page, each.total, each.pageCount])).toEqual([
      [1, 9, 3],
      [2, 9, 3],
      [3, 9, 3],
    ]);
    // a filtered list's cursor follows that list only
    const indexerFirst = await client.expect<JobPage>(200, 'GET', `${jobs}?agent=indexer&pageSize=3`, { token: viewer });
    const indexerNext = await client.expect<JobPage>(200, 'GET', `${jobs}?agent=indexer&pageSize=3&cursor=${indexerFirst.nextCursor}`, { token: viewer });
    expect(indexerNext).toMatchObject({ items: [{ jobId: 'batch-0' }], page: 2, total: 4, nextCursor: null });
    for (const query of [`agent=reporter&cursor=${indexerFirst.nextCursor}`, `page=2&cursor=${indexerFirst.nextCursor}`, 'cursor=not-a-cursor']) {
      const refused = await client.call('GET', `${jobs}?${query}`, { token: viewer });
      expect(refused.status).toBe(400);
      expect((refused.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toEqual(['query.cursor']);
    }
  });

  it('refuses what the rules refuse: an end before the start, steps of an unknown job, a key without jobs:write, a bad filter', async () => {
    await client.expect(201, 'POST', jobs, { token: agentKey, body: { jobId: 'early', agent: 'a', startedAt: '2026-11-20T10:00:00.000Z' } });
    const before = await client.call('POST', `${jobs}/early/finish`, { token: agentKey, body: { status: 'success', endedAt: '2026-11-20T09:59:59.000Z' } });
    expect(before.status).toBe(400);
    expect((await client.call('POST', `${jobs}/nope/steps`, { token: agentKey, body: { steps: [{ type: 'system' }] } })).status).toBe(404);
    expect((await client.call('POST', jobs, { token: readKey, body: { agent: 'a' } })).status).toBe(403);
    expect((await client.call('POST', jobs, { token: viewer, body: { agent: 'a' } })).status).toBe(403);
    const bad = await client.call('GET', `${jobs}?status=sleeping`, { token: viewer });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain('query.status');
    expect((await client.call('POST', jobs, { token: agentKey, body: { jobId: 'trip-1', agent: 'someone-else' } })).status).toBe(409);
  });

  it('the SDK records a job whose step batch answer was lost: the retry records each step once', async () => {
    let dropped = 0;
    // the first steps request reaches Steward, but its answer is lost on the way back
    const lossy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/steps') && dropped === 0) {
        dropped++;
        throw new TypeError('network: connection reset');
      }
      return response;
    };
    const sdk = new StewardJobClient({ baseUrl: stack.url, apiKey: agentKey, workspaceId: stack.workspaceId, fetch: lossy, backoffBaseMs: 10 });
    const run = await sdk.startJob({ jobId: 'sdk-run', agent: 'sdk-agent', input: 'summarise the report' });
    run.userMessage('summarise the report').toolCall('read_file', { path: 'report.pdf' }).toolResult('read_file', { pages: 12 }, { durationMs: 31.6 }).assistantResponse('The report says…');
    // the retry carries the same Idempotency-Key: the gateway answers as the first time
    expect(await run.flush()).toEqual({ recorded: 4, skipped: 0 });
    await run.finish('success', 'Summarised');
    expect(dropped).toBe(1);
    const job = await detail('sdk-run', (candidate) => candidate.status === 'success');
    expect(job.steps.map((step) => [step.type, step.toolName])).toEqual([
      ['user_message', null],
      ['tool_call', 'read_file'],
      ['tool_result', 'read_file'],
      ['assistant_response', null],
    ]);
    expect(job.steps[2]).toMatchObject({ durationMs: 32, result: { pages: 12 } });
    expect(job.summary).toBe('Summarised');
  });
});
