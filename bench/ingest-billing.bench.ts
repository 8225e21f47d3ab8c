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
 * BENCH_ROUNDS=2 runs without, with, with, without (ABBA) and compares the means; 4, 6, … repeat the ABBA.
 *
 * Options as bench:ingest (BENCH_EVENTS, BENCH_BATCH, BENCH_CONCURRENCY, BENCH_STEADY_RATE,
 * BENCH_STEADY_SECONDS), plus BENCH_ROUNDS (1).
 */
import type pg from 'pg';
import type { Stack } from '@steward/testing';
import { abRun, abba, printAb, printCpu, rounded, type AbResult } from './ingest-ab';
import { EVENTS, fmt } from './ingest.bench';

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

/** A large overdraft limit, so that the runs' usage never exhausts the organization's credits (402). */
export async function roomToSpend(stack: Stack): Promise<void> {
  const response = await fetch(`${stack.url}/v1/organizations/${stack.organizationId}/billing`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${stack.ownerToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ overdraftLimit: '999999999999999' }),
  });
  if (response.status !== 200) throw new Error(`PATCH billing answered ${response.status}: ${await response.text()}`);
}

function run(withBilling: boolean): Promise<AbResult> {
  return abRun(
    `${withBilling ? 'with' : 'without'} billing`,
    withBilling
      ? { prepare: roomToSpend, probes: (target): Record<string, () => Promise<number>> => (target.organizationId ? { credits: creditsProbe(target.pool, target.organizationId) } : {}) }
      : { without: ['billing'] },
  );
}

async function main(): Promise<void> {
  const { runs, summary } = await abba('billing', run);
  const credits = summary.with.extra.credits;
  console.log('\nbench:ingest-billing — the same ingest run without and with the billing process (indicative: shared machine)');
  printAb('billing', runs, summary);
  console.log(
    `credits fresh           p50 ${fmt(credits?.p50)} ms, p99 ${fmt(credits?.p99)} ms (accepted → available credits reflect it, ${credits?.measured ?? 0} batches)   target p99 < 1000   ${
      credits === undefined || Number.isNaN(credits.p99) ? 'n/a' : credits.p99 < 1000 ? 'PASS' : 'MISS'
    }`,
  );
  printCpu('with billing', summary.with);
  printCpu('without billing', summary.without);
  console.log(
    JSON.stringify({
      bench: 'ingest-billing',
      at: new Date().toISOString(),
      events: EVENTS,
      withoutBilling: rounded(summary.without.visiblePerSecond),
      withBilling: rounded(summary.with.visiblePerSecond),
      ratio: rounded(summary.ratio, 3),
      cpuPerEventWithout: rounded(summary.cpuWithout, 1),
      cpuPerEventWith: rounded(summary.cpuWith, 1),
      creditsFreshP50: rounded(credits?.p50),
      creditsFreshP99: rounded(credits?.p99),
    }),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
