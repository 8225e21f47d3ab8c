/**
 * `npm run bench:ingest-billing`: bench:ingest's sustained run and steady-rate freshness, twice in one
 * invocation on fresh stacks of the same shape — first WITHOUT the billing process, then WITH it — and
 * the ratio of the end-to-end rates (target ≥ 0.90). With billing, the steady run also times "credits
 * fresh": from a batch's 202 to the moment the organization's available credits (the billing read model,
 * what GET …/billing answers) reflect it, p50 / p99 (target p99 < 1 s).
 *
 * "Reflects it": the consumption lines of the organization's ledger (rm_billing.ledger) count the batch's
 * usage events. The organization gets a large overdraft limit first, so that the runs' usage never
 * exhausts its credits (which would suspend it and answer 402).
 *
 * The machine is shared: besides the rates, each run's CPU per event of the whole stack (every Steward
 * process and the PostgreSQL backends serving them) is printed, which the load of others moves much less.
 * BENCH_ROUNDS=2 runs without, with, with, without (ABBA) and compares the means.
 *
 * Options as bench:ingest (BENCH_EVENTS, BENCH_BATCH, BENCH_CONCURRENCY, BENCH_STEADY_RATE,
 * BENCH_STEADY_SECONDS), plus BENCH_ROUNDS (1).
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { Stack } from '@steward/testing';
import { BATCH, CONCURRENCY, EVENTS, STEADY_RATE, STEADY_SECONDS, fmt, freshness, startTarget, storeProbe, sustained, visibleProbe } from './ingest.bench';

/** Usage events the organization's ledger has consumed (the balance the API answers moves with them). */
function creditsProbe(pool: pg.Pool, organizationId: string): () => Promise<number> {
  return async () => {
    const result = await pool
      .query<{ events: string }>(
        `SELECT coalesce(sum((details->'source'->>'events')::bigint), 0)::text AS events FROM rm_billing.ledger WHERE organization_id = $1 AND kind = 'consumption'`,
        [organizationId],
      )
      .catch(() => ({ rows: [{ events: '0' }] }));
    return Number(result.rows[0]?.events ?? 0);
  };
}

async function roomToSpend(stack: Stack): Promise<void> {
  const response = await fetch(`${stack.url}/v1/organizations/${stack.organizationId}/billing`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${stack.ownerToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ overdraftLimit: '999999999999999' }),
  });
  if (response.status !== 200) throw new Error(`PATCH billing answered ${response.status}: ${await response.text()}`);
}

interface RunResult {
  readonly visiblePerSecond: number | undefined;
  readonly acceptedPerSecond: number;
  readonly freshP99: number | undefined;
  readonly freshP50: number | undefined;
  readonly creditsP50?: number;
  readonly creditsP99?: number;
  readonly creditsMeasured?: number;
  readonly cpu: Array<[string, number]>;
}

async function run(withBilling: boolean): Promise<RunResult> {
  process.stderr.write(`\n== ${withBilling ? 'with' : 'without'} billing: starting the stack…\n`);
  const target = await startTarget(withBilling ? { prepare: roomToSpend } : { without: ['billing'] });
  try {
    const probe = await visibleProbe(target.pool, target.workspaceId);
    const store = storeProbe(target.pool, target.workspaceId);
    process.stderr.write(`sustained: ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} in flight…\n`);
    const sustainedResult = await sustained(target, probe.read, await probe.read(), { read: store, base: await store() });
    process.stderr.write(`  visible ${fmt(sustainedResult.visiblePerSecond)} ev/s\n`);
    const credits = withBilling && target.organizationId ? creditsProbe(target.pool, target.organizationId) : undefined;
    if (credits) {
      // the steady run starts once billing has caught up with the sustained run
      const deadline = Date.now() + 300_000;
      while ((await credits()) < (await store()) - 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.stderr.write(`freshness: ${STEADY_RATE} ev/s for ${STEADY_SECONDS} s…\n`);
    const fresh = await freshness(target, probe.read, await probe.read(), { read: store, base: await store() }, credits ? { credits: { read: credits, base: await credits() } } : {});
    const creditFigures = fresh.extra.credits;
    return {
      visiblePerSecond: sustainedResult.visiblePerSecond,
      acceptedPerSecond: sustainedResult.acceptedPerSecond,
      freshP50: fresh.p50,
      freshP99: fresh.p99,
      ...(creditFigures ? { creditsP50: creditFigures.p50, creditsP99: creditFigures.p99, creditsMeasured: creditFigures.measured } : {}),
      cpu: sustainedResult.cpu,
    };
  } finally {
    await target.stop();
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '1');

/** µs of CPU per event of the whole stack during the sustained run (the HTTP client and shared NATS left out). */
function stackCpuPerEvent(result: RunResult): number {
  const seconds = result.cpu.filter(([name]) => !name.startsWith('bench') && !name.startsWith('nats') && !name.endsWith('(HTTP client)')).reduce((total, [, value]) => total + value, 0);
  return (seconds * 1e6) / EVENTS;
}

function mean(values: readonly number[]): number | undefined {
  const known = values.filter((value) => Number.isFinite(value));
  return known.length === 0 ? undefined : known.reduce((total, value) => total + value, 0) / known.length;
}

function combined(results: readonly RunResult[]): RunResult {
  const cpu = new Map<string, number>();
  for (const result of results) for (const [name, seconds] of result.cpu) cpu.set(name, (cpu.get(name) ?? 0) + seconds / results.length);
  const worst = (pick: (result: RunResult) => number | undefined) => {
    const values = results.map(pick).filter((value): value is number => value !== undefined && Number.isFinite(value));
    return values.length === 0 ? undefined : Math.max(...values);
  };
  return {
    visiblePerSecond: mean(results.map((result) => result.visiblePerSecond ?? Number.NaN)),
    acceptedPerSecond: mean(results.map((result) => result.acceptedPerSecond)) ?? Number.NaN,
    freshP50: worst((result) => result.freshP50),
    freshP99: worst((result) => result.freshP99),
    ...(results.some((result) => result.creditsP99 !== undefined)
      ? { creditsP50: worst((result) => result.creditsP50), creditsP99: worst((result) => result.creditsP99), creditsMeasured: results.reduce((total, result) => total + (result.creditsMeasured ?? 0), 0) }
      : {}),
    cpu: [...cpu].sort((a, b) => b[1] - a[1]),
  };
}

async function main(): Promise<void> {
  const order = ROUNDS >= 2 ? [false, true, true, false] : [false, true];
  const runs: Array<{ withBilling: boolean; result: RunResult }> = [];
  for (const withBilling of order) {
    const result = await run(withBilling);
    runs.push({ withBilling, result });
    process.stderr.write(`  ${withBilling ? 'with' : 'without'} billing: ${fmt(result.visiblePerSecond)} ev/s end to end, stack CPU ${fmt(stackCpuPerEvent(result), 1)} µs/event\n`);
  }
  const without = combined(runs.filter((entry) => !entry.withBilling).map((entry) => entry.result));
  const withBilling = combined(runs.filter((entry) => entry.withBilling).map((entry) => entry.result));
  const ratio = without.visiblePerSecond && withBilling.visiblePerSecond ? withBilling.visiblePerSecond / without.visiblePerSecond : undefined;
  const cpuWithout = mean(runs.filter((entry) => !entry.withBilling).map((entry) => stackCpuPerEvent(entry.result)));
  const cpuWith = mean(runs.filter((entry) => entry.withBilling).map((entry) => stackCpuPerEvent(entry.result)));
  console.log('\nbench:ingest-billing — the same ingest run without and with the billing process (indicative: shared machine)');
  console.log(`events                  ${EVENTS} in batches of ${BATCH}, ${CONCURRENCY} requests in flight; steady ${STEADY_RATE} ev/s for ${STEADY_SECONDS} s`);
  console.log(`end to end, no billing  ${fmt(without.visiblePerSecond)} ev/s (accepted ${fmt(without.acceptedPerSecond)} ev/s), visible p99 ${fmt(without.freshP99)} ms`);
  console.log(`end to end, billing     ${fmt(withBilling.visiblePerSecond)} ev/s (accepted ${fmt(withBilling.acceptedPerSecond)} ev/s), visible p99 ${fmt(withBilling.freshP99)} ms`);
  console.log(`runs                    ${runs.map((entry) => `${entry.withBilling ? 'with' : 'without'} ${fmt(entry.result.visiblePerSecond)}`).join(', ')} ev/s`);
  console.log(`ratio with / without    ${ratio === undefined ? 'n/a' : ratio.toFixed(3)}   target ≥ 0.90   ${ratio === undefined ? 'n/a' : ratio >= 0.9 ? 'PASS' : 'MISS'}`);
  console.log(`stack CPU per event     without ${fmt(cpuWithout, 1)} µs, with ${fmt(cpuWith, 1)} µs (ratio ${cpuWithout && cpuWith ? (cpuWithout / cpuWith).toFixed(3) : 'n/a'}: the rate a CPU-bound stack keeps)`);
  console.log(
    `credits fresh           p50 ${fmt(withBilling.creditsP50)} ms, p99 ${fmt(withBilling.creditsP99)} ms (accepted → available credits reflect it, ${withBilling.creditsMeasured ?? 0} batches)   target p99 < 1000   ${
      withBilling.creditsP99 === undefined || Number.isNaN(withBilling.creditsP99) ? 'n/a' : withBilling.creditsP99 < 1000 ? 'PASS' : 'MISS'
    }`,
  );
  console.log(`CPU with billing (s), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}:`);
  for (const [name, seconds] of withBilling.cpu) console.log(`  ${name.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s`);
  console.log(
    JSON.stringify({
      bench: 'ingest-billing',
      at: new Date().toISOString(),
      events: EVENTS,
      withoutBilling: without.visiblePerSecond === undefined ? null : Math.round(without.visiblePerSecond),
      withBilling: withBilling.visiblePerSecond === undefined ? null : Math.round(withBilling.visiblePerSecond),
      ratio: ratio === undefined ? null : Number(ratio.toFixed(3)),
      cpuPerEventWithout: cpuWithout === undefined ? null : Number(cpuWithout.toFixed(1)),
      cpuPerEventWith: cpuWith === undefined ? null : Number(cpuWith.toFixed(1)),
      creditsFreshP50: withBilling.creditsP50 === undefined ? null : Math.round(withBilling.creditsP50),
      creditsFreshP99: withBilling.creditsP99 === undefined ? null : Math.round(withBilling.creditsP99),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
