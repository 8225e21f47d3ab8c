/**
 * Read-your-writes over the whole stack: every write route that creates or
 * changes something another route reads, followed AT ONCE (no sleep, no
 * retry) by the read or the use it enables, 20 rounds, while a usage load
 * (batches posted back to back, as bench:ingest does) keeps the store, the
 * metering process and the projections busy. A miss is any follow-up that
 * does not see the write; there must be none. Writes are sent as the API
 * asks of a client: with an Idempotency-Key, and resent on a 503 (stored,
 * not visible yet: never a 2xx a read would contradict).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Stack, type TestEnv, createTestEnv, startStack } from '@steward/testing';
import { GatewayClient, uniqueEmail } from './support/gateway-client';
import { usageItem } from '../usage/ingest.support';

jest.setTimeout(900_000);

const ROUNDS = 20;

describe('read-your-writes: create, then use at once', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;

  beforeAll(async () => {
    env = await createTestEnv();
    // the load alone sends hundreds of batches a minute with one key: lift the per-principal limits
    stack = await startStack(env, { env: { GATEWAY_RATE_LIMIT_API_KEY: '10000000', GATEWAY_RATE_LIMIT_USER: '10000000', GATEWAY_RATE_LIMIT_ANONYMOUS: '10000000' } });
    client = new GatewayClient(stack.url);
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it(`sees every write on the very next request, ${ROUNDS} rounds under a usage load`, async () => {
    const owner = stack.ownerToken;
    const misses: string[] = [];
    let resent = 0;
    /**
     * A request as a client following the API's contract sends it: a write carries an Idempotency-Key, and a 503
     * ("the change is stored, but the read models do not show it yet") is resent with the same key until the write
     * is answered (a loaded machine can keep the read models behind the bound). The guarantee under test starts
     * there: once a write is answered, the very next request sees it. Reads are never retried.
     */
    const send = async (method: string, path: string, options: Parameters<GatewayClient['call']>[2] = {}) => {
      if (method === 'GET' || method === 'DELETE') return client.call(method, path, options);
      const sent = { ...options, headers: { ...options.headers, 'idempotency-key': randomUUID() } };
      let answer = await client.call(method, path, sent);
      for (let attempt = 0; answer.status === 503 && attempt < 20; attempt++) {
        resent += 1;
        await new Promise((resolve) => setTimeout(resolve, 1000 * Number(answer.headers.get('retry-after') ?? '1')));
        answer = await client.call(method, path, sent);
      }
      return answer;
    };
    /** A write that must answer `status` (the error shows the whole answer). */
    const write = async <T = Record<string, unknown>>(status: number, method: string, path: string, options: Parameters<GatewayClient['call']>[2] = {}): Promise<T> => {
      const answer = await send(method, path, options);
      if (answer.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${answer.status}: ${answer.text}`);
      return answer.body as T;
    };
    /** A follow-up that must answer `status`; anything else is a miss (recorded, the round goes on when it can). */
    const followUp = async (label: string, status: number, method: string, path: string, options: Parameters<GatewayClient['call']>[2] = {}): Promise<unknown> => {
      const answer = await send(method, path, options);
      if (answer.status !== status) misses.push(`${label}: ${method} ${path} answered ${answer.status} (${answer.text.slice(0, 200)})`);
      return answer.body;
    };

    // the background load: usage batches with a key of the stack's workspace, back to back, until the rounds end
    const loadKey = await client.expect<{ key: string }>(201, 'POST', `/v1/workspaces/${stack.workspaceId}/api-keys`, {
      token: owner,
      body: { name: 'usage load', scopes: ['usage:write'] },
    });
    let loading = true;
    let batches = 0;
    const load = (async () => {
      while (loading) {
        const events = Array.from({ length: 200 }, () => usageItem(randomUUID(), 'ryw-load'));
        const answer = await client.call('POST', `/v1/workspaces/${stack.workspaceId}/usage`, { token: loadKey.key, body: { events } });
        if (answer.status !== 202) throw new Error(`the usage load was refused: ${answer.status} ${answer.text}`);
        batches += 1;
      }
    })();

    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const tag = `${round}-${randomBytes(3).toString('hex')}`;
        // organization → workspace in it
        const organization = await write<{ id: string; workspace: { id: string } }>(201, 'POST', '/v1/organizations', {
          token: owner,
          body: { name: `RYW org ${tag}`, workspaceName: `RYW main ${tag}` },
        });
        await followUp('organization → its workspaces', 200, 'GET', `/v1/organizations/${organization.id}/workspaces`, { token: owner });
        await followUp('organization → create a workspace in it', 201, 'POST', `/v1/organizations/${organization.id}/workspaces`, { token: owner, body: { name: `RYW second ${tag}` } });

        // workspace → API key in it
        const workspace = await write<{ id: string }>(201, 'POST', `/v1/organizations/${stack.organizationId}/workspaces`, { token: owner, body: { name: `RYW ws ${tag}` } });
        const ws = workspace.id;
        await followUp('workspace → read it', 200, 'GET', `/v1/workspaces/${ws}`, { token: owner });
        const key = (await followUp('workspace → issue an API key in it', 201, 'POST', `/v1/workspaces/${ws}/api-keys`, {
          token: owner,
          body: { name: `agent ${tag}`, scopes: ['usage:write', 'jobs:write', 'read'] },
        })) as { id: string; key: string } | undefined;
        if (!key) continue;

        // API key → ingest and read with it
        await followUp('API key → ingest usage with it', 202, 'POST', `/v1/workspaces/${ws}/usage`, { token: key.key, body: { events: [usageItem(`ryw-${tag}`, 'ryw')] } });
        await followUp('API key → read with it', 200, 'GET', `/v1/workspaces/${ws}`, { token: key.key });
        await followUp('API key → listed', 200, 'GET', `/v1/workspaces/${ws}/api-keys/${key.id}`, { token: owner });

        // workspace renamed → read shows the name
        await write(200, 'PATCH', `/v1/workspaces/${ws}`, { token: owner, body: { name: `RYW renamed ${tag}` } });
        const renamed = (await followUp('workspace rename → read', 200, 'GET', `/v1/workspaces/${ws}`, { token: owner })) as { name?: string } | undefined;
        if (renamed?.name !== `RYW renamed ${tag}`) misses.push(`workspace rename → read shows ${String(renamed?.name)}`);

        // invite → accept → use the user token
        const email = uniqueEmail(`ryw${round}`);
        const invitation = await write<{ id: string; token: string }>(201, 'POST', `/v1/workspaces/${ws}/invitations`, { token: owner, body: { email, role: 'viewer' } });
        await followUp('invitation → read it', 200, 'GET', `/v1/workspaces/${ws}/invitations/${invitation.id}`, { token: owner });
        const accepted = await write<{ userId: string; token: string }>(201, 'POST', '/v1/invitations/accept', { body: { token: invitation.token, name: `RYW ${tag}` } });
        await followUp('accept → the user token', 200, 'GET', '/v1/me', { token: accepted.token });
        await followUp('accept → the workspace as the new member', 200, 'GET', `/v1/workspaces/${ws}`, { token: accepted.token });
        await followUp('accept → listed as member', 200, 'GET', `/v1/workspaces/${ws}/members/${accepted.userId}`, { token: owner });

        // role change → the member's access
        await write(200, 'PATCH', `/v1/workspaces/${ws}/members/${accepted.userId}`, { token: owner, body: { role: 'admin' } });
        await followUp('role raised → the member may issue keys', 201, 'POST', `/v1/workspaces/${ws}/api-keys`, { token: accepted.token, body: { name: `by admin ${tag}`, scopes: ['read'] } });
        await write(200, 'PATCH', `/v1/workspaces/${ws}/members/${accepted.userId}`, { token: owner, body: { role: 'viewer' } });
        await followUp('role lowered → the member may not', 403, 'POST', `/v1/workspaces/${ws}/api-keys`, { token: accepted.token, body: { name: `by viewer ${tag}`, scopes: ['read'] } });

        // job start → GET; steps → GET shows them; finish → GET shows it
        const jobId = `ryw-job-${tag}`;
        await write(201, 'POST', `/v1/workspaces/${ws}/jobs`, { token: key.key, body: { jobId, agent: 'ryw-agent' } });
        await followUp('job start → GET it', 200, 'GET', `/v1/workspaces/${ws}/jobs/${jobId}`, { token: key.key });
        await write(200, 'POST', `/v1/workspaces/${ws}/jobs/${jobId}/steps`, {
          token: key.key,
          body: { steps: [{ stepId: 's1', type: 'user_message', content: `hello ${tag}` }] },
        });
        const detail = (await followUp('steps → GET shows them', 200, 'GET', `/v1/workspaces/${ws}/jobs/${jobId}`, { token: key.key })) as { stepCount?: number } | undefined;
        if (detail?.stepCount !== 1) misses.push(`steps → GET shows ${String(detail?.stepCount)} steps`);
        await write(200, 'POST', `/v1/workspaces/${ws}/jobs/${jobId}/finish`, { token: key.key, body: { status: 'success', summary: 'done' } });
        const finished = (await followUp('finish → GET shows it', 200, 'GET', `/v1/workspaces/${ws}/jobs/${jobId}`, { token: key.key })) as { status?: string } | undefined;
        if (finished?.status !== 'success') misses.push(`finish → GET shows ${String(finished?.status)}`);

        // runtime register → GET it
        const runtime = await write<{ id: string }>(201, 'POST', `/v1/workspaces/${ws}/runtimes`, {
          token: owner,
          body: { name: `Docker ${tag}`, provider: 'docker', config: { host: 'unix:///var/run/docker.sock' } },
        });
        await followUp('runtime → GET it', 200, 'GET', `/v1/workspaces/${ws}/runtimes/${runtime.id}`, { token: owner });

        // model price → GET models lists it
        await write(200, 'PUT', `/v1/workspaces/${ws}/models/openai/gpt-4o`, { token: owner, body: { pricesPerMillionTokens: { input: '2.5', output: '10' } } });
        const models = (await followUp('model PUT → GET models', 200, 'GET', `/v1/workspaces/${ws}/models`, { token: owner })) as { items?: Array<{ model: string }> } | undefined;
        if (!models?.items?.some((item) => item.model === 'gpt-4o')) misses.push('model PUT → GET models does not list it');

        // removals and revocations take effect on the next request
        const spare = await write<{ id: string; token: string }>(201, 'POST', `/v1/workspaces/${ws}/invitations`, { token: owner, body: { email: uniqueEmail('spare'), role: 'viewer' } });
        await write(204, 'DELETE', `/v1/workspaces/${ws}/invitations/${spare.id}`, { token: owner });
        await followUp('invitation revoked → accept refused', 409, 'POST', '/v1/invitations/accept', { body: { token: spare.token } });
        await write(204, 'DELETE', `/v1/workspaces/${ws}/members/${accepted.userId}`, { token: owner });
        await followUp('member removed → the workspace is gone for them', 404, 'GET', `/v1/workspaces/${ws}`, { token: accepted.token });
        await write(204, 'DELETE', `/v1/workspaces/${ws}/api-keys/${key.id}`, { token: owner });
        await followUp('API key revoked → refused', 401, 'GET', `/v1/workspaces/${ws}`, { token: key.key });
      }
    } finally {
      loading = false;
      await load;
    }
    expect(batches).toBeGreaterThan(0);
    // how often the bound was reached (each a 503 resent with its key): information, not a failure
    console.log(`read-your-writes under load: ${batches} usage batches, ${resent} writes resent after a 503`);
    expect(misses).toEqual([]);
  });
});
