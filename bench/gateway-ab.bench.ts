/**
 * `BENCH_BASE_TREE=<checkout of another commit> npm run bench:gateway-ab`: bench:gateway's read
 * (the member list, owner token, concurrency 32) against two gateways on ONE stack — this tree's and the
 * other tree's (its main.ts, e.g. `git archive <base> | tar -x -C /tmp/base` with node_modules linked) —
 * alternated A B B A A B B A, 15 s each after a 3 s warm-up, so both see the same backend and the same
 * machine. Prints each run and the ratio of the means (this tree / the other).
 * Options (env): BENCH_DURATION (15), BENCH_CONNECTIONS (32).
 */
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { createTestEnv, freePort, startChild, startStack, waitFor } from '@steward/testing';

const baseTree = process.env.BENCH_BASE_TREE;
const duration = Number(process.env.BENCH_DURATION ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

async function main(): Promise<void> {
  if (!baseTree) throw new Error('set BENCH_BASE_TREE to a checkout of the commit to compare with');
  const env = await createTestEnv();
  const stack = await startStack(env, { logLevel: 'warn', env: { GATEWAY_RATE_LIMIT_USER: '10000000', GATEWAY_REQUEST_LOG_LEVEL: 'debug', LOG_LEVEL: 'warn' } });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const base = startChild('gateway-base', `${baseTree}/services/gateway/src/main.ts`, { ...stack.childEnv, PORT: String(port), GATEWAY_URL: baseUrl, STEWARD_PROCESS: 'gateway-base' });
  try {
    await waitFor('base gateway', async () => ((await fetch(`${baseUrl}/readyz`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 90_000, intervalMs: 250 });
    const ws = `/v1/workspaces/${stack.workspaceId}`;
    for (let i = 0; i < 25; i++) {
      const invited = await fetch(`${stack.url}${ws}/invitations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.ownerToken}` }, body: JSON.stringify({ email: `m${i}@bench.example`, role: 'member' }) });
      const { token } = (await invited.json()) as { token: string };
      await fetch(`${stack.url}/v1/invitations/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, name: `M ${i}` }) });
    }
    const target = `${ws}/members?pageSize=50`;
    const results: Record<string, number[]> = { branch: [], base: [] };
    for (const which of ['branch', 'base', 'base', 'branch', 'branch', 'base', 'base', 'branch'] as const) {
      const url = `${which === 'branch' ? stack.url : baseUrl}${target}`;
      await autocannon({ url, connections, duration: 3, headers: { authorization: `Bearer ${stack.ownerToken}` } });
      const r = await autocannon({ url, connections, duration, headers: { authorization: `Bearer ${stack.ownerToken}` } });
      results[which]!.push(Math.round(r.requests.average));
      console.log(JSON.stringify({ which, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, load: Math.round((loadavg()[0] ?? 0) * 100) / 100 }));
    }
    const avg = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(JSON.stringify({ bench: 'gateway-ab', at: new Date().toISOString(), branch: results.branch, base: results.base, ratio: Math.round((avg(results.branch!) / avg(results.base!)) * 1000) / 1000 }));
  } finally {
    base.process.kill('SIGTERM');
    await base.exited;
    await stack.stop();
    await env.dispose();
  }
}

main().catch((error: unknown) => {
  console.error('bench:gateway-ab failed:', error);
  process.exit(1);
});
