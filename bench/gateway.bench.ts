/**
 * `npm run bench:gateway`: authenticated GET of a workspace's member list at
 * concurrency 32 against the real stack (relay, projections, team-rbac and the
 * gateway as separate processes, as `npm start` runs them), measured with
 * autocannon from this process. Target: ≥ 3,000 req/s with p99 < 25 ms.
 *
 * Options (env): BENCH_MEMBERS (default 25 members in the workspace),
 * BENCH_CONNECTIONS (32), BENCH_DURATION (10 s), BENCH_WARMUP (3 s).
 * Everything runs in a throwaway database / NATS prefix / Redis prefix.
 */
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { createTestEnv, startStack, waitFor } from '@steward/testing';

const members = Number(process.env.BENCH_MEMBERS ?? 25);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function run(url: string, token: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: seconds, headers: { authorization: `Bearer ${token}` } });
}

async function main(): Promise<void> {
  const env = await createTestEnv();
  const stack = await startStack(env, {
    logLevel: 'warn',
    // One principal drives all the load: lift its rate limit for the measurement.
    env: { GATEWAY_RATE_LIMIT_USER: '10000000', GATEWAY_REQUEST_LOG_LEVEL: 'debug', LOG_LEVEL: 'warn' },
  });
  try {
    const base = `${stack.url}/v1/workspaces/${stack.workspaceId}`;
    process.stderr.write(`stack up at ${stack.url}; adding ${members} members…\n`);
    for (let i = 0; i < members; i++) {
      const invited = await json(`${base}/invitations`, {
        method: 'POST',
        token: stack.ownerToken,
        body: JSON.stringify({ email: `member${i}@bench.example`, role: i % 5 === 0 ? 'admin' : 'member' }),
      });
      if (invited.status !== 201) throw new Error(`invite failed: ${invited.status} ${JSON.stringify(invited.body)}`);
      const accepted = await json(`${stack.url}/v1/invitations/accept`, {
        method: 'POST',
        body: JSON.stringify({ token: invited.body.token, name: `Member ${i}`, email: `member${i}@bench.example` }),
      });
      if (accepted.status !== 201) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    }
    const target = `${base}/members?pageSize=50`;
    await waitFor('every member in the read model', async () => {
      const list = await json(target, { token: stack.ownerToken });
      return list.status === 200 && (list.body.total as number) >= members + 1 ? true : undefined;
    });

    process.stderr.write(`warming up ${warmup} s…\n`);
    await run(target, stack.ownerToken, warmup);
    const result = await run(target, stack.ownerToken, duration);
    const non2xx = result.non2xx + result.errors + result.timeouts;
    const rps = result.requests.average;
    const p50 = result.latency.p50;
    const p99 = result.latency.p99;
    console.log('\nbench:gateway — GET /v1/workspaces/{wsId}/members (owner token)');
    console.log(`members in list       ${members + 1}`);
    console.log(`connections           ${connections}`);
    console.log(`duration              ${duration} s`);
    console.log(`requests              ${result.requests.total} (${non2xx} not 2xx / errors / timeouts)`);
    console.log(`throughput            ${Math.round(rps)} req/s   target ≥ 3000   ${rps >= 3000 ? 'PASS' : 'MISS'}`);
    console.log(`latency p50           ${p50} ms`);
    console.log(`latency p99           ${p99} ms   target < 25   ${p99 < 25 ? 'PASS' : 'MISS'}`);
    // the machine's load while measuring (1-minute average, this run included): figures from a busy machine say so
    const load = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    console.log(`load average (1 min)  ${load}`);
    console.log(JSON.stringify({ bench: 'gateway', at: new Date().toISOString(), members: members + 1, connections, duration, rps: Math.round(rps), p50, p99, non2xx, load }));
    if (non2xx > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
    await env.dispose();
  }
}

main().catch((error: unknown) => {
  console.error('bench:gateway failed:', error);
  process.exit(1);
});
