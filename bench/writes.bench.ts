/**
 * `npm run bench:writes`: what read-your-writes costs. One stack, two gateway
 * replicas on the same backend: A with read-your-writes on (the default), B
 * with GATEWAY_READ_YOUR_WRITES=off (answers as soon as the command is
 * stored). Creates are sent one at a time, alternating between A and B in
 * rounds so both see the same machine: an API key (a team write: A also waits
 * for every replica to empty its caches) and a job start (the jobs read
 * model). Prints p50/p99 per kind and replica and the on/off ratios; then the
 * read path (GET of the member list, autocannon) on A and on B, alternated.
 *
 * Options (env): BENCH_WRITES (200 per kind and replica), BENCH_ROUND (20),
 * BENCH_CONNECTIONS (32), BENCH_DURATION (10 s per read run), BENCH_READ_RUNS (2 per replica).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createTestEnv, startStack } from '@steward/testing';

const writes = Number(process.env.BENCH_WRITES ?? 200);
const roundSize = Number(process.env.BENCH_ROUND ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const readRuns = Number(process.env.BENCH_READ_RUNS ?? 2);

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const text = await response.text();
  const ms = performance.now() - started;
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, ms };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const load = (): number => round2(loadavg()[0] ?? 0);

async function main(): Promise<void> {
  const env = await createTestEnv();
  const stack = await startStack(env, {
    logLevel: 'warn',
    extraGateways: 1,
    extraGatewayEnv: { GATEWAY_READ_YOUR_WRITES: 'off' },
    env: { GATEWAY_RATE_LIMIT_USER: '10000000', GATEWAY_RATE_LIMIT_API_KEY: '10000000', LOG_LEVEL: 'warn' },
  });
  try {
    const [on, off] = stack.gatewayUrls as [string, string];
    const ws = `/v1/workspaces/${stack.workspaceId}`;
    const agent = await post(`${on}${ws}/api-keys`, stack.ownerToken, { name: 'bench agent', scopes: ['jobs:write'] });
    if (agent.status !== 201) throw new Error(`cannot issue the agent key: ${agent.status}`);
    const agentKey = agent.body.key as string;
    const kinds = {
      'create API key': (base: string, i: number) => post(`${base}${ws}/api-keys`, stack.ownerToken, { name: `bench ${i}`, scopes: ['read'] }),
      'start job': (base: string, i: number) => post(`${base}${ws}/jobs`, agentKey, { agent: 'bench', jobId: `bench-${base.slice(-5)}-${i}` }),
    };
    const latencies: Record<string, { on: number[]; off: number[] }> = {};
    const loadsDuringWrites: number[] = [];
    for (const [kind, send] of Object.entries(kinds)) {
      latencies[kind] = { on: [], off: [] };
      process.stderr.write(`${kind}: ${writes} per replica in rounds of ${roundSize}…\n`);
      for (let done = 0; done < writes; done += roundSize) {
        for (const mode of ['off', 'on'] as const) {
          const base = mode === 'on' ? on : off;
          for (let i = done; i < Math.min(writes, done + roundSize); i++) {
            const answer = await send(base, i);
            if (answer.status !== 201) throw new Error(`${kind} on ${mode}: ${answer.status} ${JSON.stringify(answer.body)}`);
            latencies[kind]![mode].push(answer.ms);
          }
        }
        loadsDuringWrites.push(load());
      }
    }

    const target = `${ws}/members?pageSize=50`;
    const reads: { on: number[]; off: number[] } = { on: [], off: [] };
    const readLoads: number[] = [];
    let failedReads = 0;
    for (let run = 0; run < readRuns; run++) {
      for (const mode of ['off', 'on'] as const) {
        const base = mode === 'on' ? on : off;
        await autocannon({ url: `${base}${target}`, connections, duration: 2, headers: { authorization: `Bearer ${stack.ownerToken}` } });
        const result = await autocannon({ url: `${base}${target}`, connections, duration, headers: { authorization: `Bearer ${stack.ownerToken}` } });
        failedReads += result.non2xx + result.errors + result.timeouts;
        reads[mode].push(result.requests.average);
        readLoads.push(load());
      }
    }

    console.log('\nbench:writes — read-your-writes on (gateway A) vs off (gateway B), same stack, alternating rounds');
    const summary: Record<string, unknown> = {};
    for (const [kind, modes] of Object.entries(latencies)) {
      const on50 = percentile([...modes.on].sort((a, b) => a - b), 50);
      const on99 = percentile([...modes.on].sort((a, b) => a - b), 99);
      const off50 = percentile([...modes.off].sort((a, b) => a - b), 50);
      const off99 = percentile([...modes.off].sort((a, b) => a - b), 99);
      console.log(`${kind.padEnd(16)} off p50 ${round2(off50)} ms p99 ${round2(off99)} ms | on p50 ${round2(on50)} ms p99 ${round2(on99)} ms | ratio p50 ${round2(on50 / off50)} p99 ${round2(on99 / off99)} (added p50 ${round2(on50 - off50)} ms)`);
      summary[kind] = { off: { p50: round2(off50), p99: round2(off99) }, on: { p50: round2(on50), p99: round2(on99) }, ratioP50: round2(on50 / off50), ratioP99: round2(on99 / off99) };
    }
    const avg = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    const readRatio = avg(reads.on) / avg(reads.off);
    console.log(`GET members        off ${reads.off.map(Math.round).join(', ')} req/s | on ${reads.on.map(Math.round).join(', ')} req/s | ratio on/off ${round2(readRatio)} (${failedReads} failed)`);
    console.log(`load average (1 min) during writes ${Math.min(...loadsDuringWrites)}–${Math.max(...loadsDuringWrites)}, during reads ${Math.min(...readLoads)}–${Math.max(...readLoads)}`);
    console.log(JSON.stringify({ bench: 'writes', at: new Date().toISOString(), writes, latencies: summary, reads: { on: reads.on.map(Math.round), off: reads.off.map(Math.round), ratio: round2(readRatio) }, load: { writes: loadsDuringWrites, reads: readLoads } }));
    if (failedReads > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
    await env.dispose();
  }
}

main().catch((error: unknown) => {
  console.error('bench:writes failed:', error);
  process.exit(1);
});
