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
 * Options as bench:ingest (BENCH_EVENTS, BENCH_BATCH, BENCH_CONCURRENCY, BENCH_STEADY_RATE,
 * BENCH_STEADY_SECONDS). Indicative on a shared machine: the two runs share it with whatever else runs.
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

async function main(): Promise<void> {
  const without = await run(false);
  const withBilling = await run(true);
  const ratio = without.visiblePerSecond && withBilling.visiblePerSecond ? withBilling.visiblePerSecond / without.visiblePerSecond : undefined;
  console.log('\nbench:ingest-billing — the same ingest run without and with the billing process (indicative: shared machine)');
  console.log(`events                  ${EVENTS} in batches of ${BATCH}, ${CONCURRENCY} requests in flight; steady ${STEADY_RATE} ev/s for ${STEADY_SECONDS} s`);
  console.log(`end to end, no billing  ${fmt(without.visiblePerSecond)} ev/s (accepted ${fmt(without.acceptedPerSecond)} ev/s), visible p99 ${fmt(without.freshP99)} ms`);
  console.log(`end to end, billing     ${fmt(withBilling.visiblePerSecond)} ev/s (accepted ${fmt(withBilling.acceptedPerSecond)} ev/s), visible p99 ${fmt(withBilling.freshP99)} ms`);
  console.log(`ratio with / without    ${ratio === undefined ? 'n/a' : ratio.toFixed(3)}   target ≥ 0.90   ${ratio === undefined ? 'n/a' : ratio >= 0.9 ? 'PASS' : 'MISS'}`);
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
      creditsFreshP50: withBilling.creditsP50 === undefined ? null : Math.round(withBilling.creditsP50),
      creditsFreshP99: withBilling.creditsP99 === undefined ? null : Math.round(withBilling.creditsP99),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
