/**
 * Revocation is immediate at every gateway replica: the stack runs two
 * gateway processes (A and B, one Redis registry, one NATS). Each round
 * issues a key on A, uses it on B (B caches the credential), revokes it on A,
 * and uses it on B at once, with no sleep and no retry: B must refuse it. The
 * same for a member removed on A while B holds their memberships. A replica
 * that hangs (SIGSTOP: subscribed, silent) holds a revoke only until its
 * lease lapses, and refuses the key once it runs again.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Stack, type TestEnv, createTestEnv, freePort, startChild, startStack, waitFor } from '@steward/testing';
import { GatewayClient, uniqueEmail } from './support/gateway-client';

jest.setTimeout(900_000);

describe('revocation across two gateway replicas', () => {
  let env: TestEnv;
  let stack: Stack;
  let a: GatewayClient;
  let b: GatewayClient;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { extraGateways: 1 });
    [a, b] = stack.gatewayUrls.map((url) => new GatewayClient(url)) as [GatewayClient, GatewayClient];
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('50 rounds: issue on A → use on B → revoke on A → B refuses the key on the next request', async () => {
    const ws = stack.workspaceId;
    const accepted: string[] = [];
    for (let round = 1; round <= 50; round++) {
      const key = await a.expect<{ id: string; key: string }>(201, 'POST', `/v1/workspaces/${ws}/api-keys`, {
        token: stack.ownerToken,
        body: { name: `replica round ${round}`, scopes: ['read'] },
      });
      // issued on A, usable on B at once; and now in B's credential cache
      await b.expect(200, 'GET', `/v1/workspaces/${ws}`, { token: key.key });
      await b.expect(200, 'GET', `/v1/workspaces/${ws}`, { token: key.key });
      await a.expect(204, 'DELETE', `/v1/workspaces/${ws}/api-keys/${key.id}`, { token: stack.ownerToken });
      const after = await b.call('GET', `/v1/workspaces/${ws}`, { token: key.key });
      if (after.status !== 401) accepted.push(`round ${round}: B answered ${after.status} after the revoke answered`);
    }
    expect(accepted).toEqual([]);
  });

  it('20 rounds: a member removed on A is refused by B on the next request; a lowered role too', async () => {
    const ws = stack.workspaceId;
    const accepted: string[] = [];
    for (let round = 1; round <= 20; round++) {
      const tag = randomBytes(3).toString('hex');
      const invitation = await a.expect<{ id: string; token: string }>(201, 'POST', `/v1/workspaces/${ws}/invitations`, {
        token: stack.ownerToken,
        body: { email: uniqueEmail(`replica${round}`), role: 'admin' },
      });
      const member = await a.expect<{ userId: string; token: string }>(201, 'POST', '/v1/invitations/accept', { body: { token: invitation.token, name: `Replica ${tag}` } });
      // B knows the new member at once (and caches their memberships)
      await b.expect(200, 'GET', `/v1/workspaces/${ws}/members`, { token: member.token });
      await a.expect(200, 'PATCH', `/v1/workspaces/${ws}/members/${member.userId}`, { token: stack.ownerToken, body: { role: 'viewer' } });
      const lowered = await b.call('POST', `/v1/workspaces/${ws}/api-keys`, { token: member.token, body: { name: `by viewer ${tag}`, scopes: ['read'] } });
      if (lowered.status !== 403) accepted.push(`round ${round}: B let a lowered member issue a key (${lowered.status})`);
      await a.expect(204, 'DELETE', `/v1/workspaces/${ws}/members/${member.userId}`, { token: stack.ownerToken });
      const after = await b.call('GET', `/v1/workspaces/${ws}/members`, { token: member.token });
      if (after.status !== 404) accepted.push(`round ${round}: B answered ${after.status} to a removed member`);
    }
    expect(accepted).toEqual([]);
  });

  it('a hung replica (SIGSTOP) holds a revoke on A only until its lease lapses, and refuses the key when it resumes', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hung = startChild('gateway-hung', 'services/gateway/src/main.ts', { ...stack.childEnv, PORT: String(port), GATEWAY_URL: url, STEWARD_PROCESS: 'gateway-hung' });
    const c = new GatewayClient(url);
    try {
      await waitFor('the third replica', async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 90_000, intervalMs: 250 });
      const ws = stack.workspaceId;
      const wrong: string[] = [];
      for (let round = 1; round <= 3; round++) {
        const key = await a.expect<{ id: string; key: string }>(201, 'POST', `/v1/workspaces/${ws}/api-keys`, { token: stack.ownerToken, body: { name: `hung round ${round}`, scopes: ['read'] } });
        await c.expect(200, 'GET', `/v1/workspaces/${ws}`, { token: key.key });
        hung.process.kill('SIGSTOP');
        let resumed = false;
        try {
          const started = performance.now();
          const revoked = await a.call('DELETE', `/v1/workspaces/${ws}/api-keys/${key.id}`, { token: stack.ownerToken });
          const ms = performance.now() - started;
          // the read-your-writes deadline is 5 s: a revoke that waited for the silent replica's answer until then is a 503 or late
          if (revoked.status !== 204 || ms >= 4_900) wrong.push(`round ${round}: the revoke answered ${revoked.status} after ${Math.round(ms)} ms`);
          // sent while C is stopped: the first request C serves when it runs again
          const after = c.call('GET', `/v1/workspaces/${ws}`, { token: key.key });
          hung.process.kill('SIGCONT');
          resumed = true;
          const answer = await after;
          if (answer.status !== 401) wrong.push(`round ${round}: the resumed replica answered ${answer.status}`);
        } finally {
          if (!resumed) hung.process.kill('SIGCONT');
        }
      }
      expect(wrong).toEqual([]);
    } finally {
      hung.process.kill('SIGCONT');
      hung.process.kill('SIGTERM');
      await hung.exited;
    }
  });
});
