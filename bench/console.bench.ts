/**
 * `npm run bench:console [-- --events 1000000 --runs 10 --page 10000 --base-dist <dir>]`: issue 17's "the first screen loads in under
 * 1 s for a workspace with 90 days of usage; the initial JavaScript under 400 KB gzipped", measured.
 *
 * One stack (libs/testing startStack, the gateway serving apps/console/dist). Its bootstrap workspace gets 90 days
 * of usage: `--events` real UsageRecorded events (nine in ten in the workspace, the tenth in another organization's,
 * up to now) written by bench:chargeback's bulk loader (COPY into the store's events table), then the chargeback
 * read model rebuilt by the real ProjectionRebuilder. The projections process is stopped meanwhile (it would
 * otherwise replay the same events live) and started again after; billing is stopped for good (its consumption
 * reactor would debit a million calls while the browser measures; no screen measured reads it). A second
 * organization, created through the API, is the baseline: the same screens with no usage.
 *
 * Chromium (playwright-core, /usr/bin/chromium) then opens, for each organization, the Dashboard and Usage Analytics
 * (default Time Period, and Last 90 Days), `--runs` times each, interleaved:
 * - cold: a new browser context (empty cache), the owner's token in the tab's session as the sign-in page leaves it;
 * - warm: the same URL again in that tab (a new document, the assets from the cache).
 * The time is the page's own clock (performance.now(), from the navigation's start) when the screen is usable: its
 * heading and its content on screen (the Dashboard's cards; Usage Analytics' four figures, both charts and the
 * recent usage table, or their "no usage" words), no spinner left, no error. Each load also records its API calls
 * (count, each one's duration, when the last one ended) to tell a slow API from slow rendering.
 *
 * `--base-dist <dir>`: another build of the console (e.g. main's apps/console/dist, copied aside) served by a
 * second gateway of the same stack; every load is then made on both, one after the other, so the two builds are
 * compared on the same data at the same moment of a shared machine.
 */
import { type Browser, type Page, type Request, chromium } from 'playwright-core';
import { PostgresEventStore } from '@steward/event-store';
import { ProjectionHost } from '@steward/projections';
import { SIGN_IN } from '@steward/console';
import { createTestEnv, startStack, waitFor } from '@steward/testing';
import { CHARGEBACK_SCHEMA, chargebackProjection } from '@steward/usage-metering';
import { Fixtures, GatewayClient } from '../tests/gateway/support/gateway-client';
import { ensureConsoleBuilt } from '../tools/console-build';
import { SPAN_DAYS, bulkLoad, load, percentile, rebuildChargeback } from './chargeback.bench';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'];
const TARGET_MS = 1000;
const INITIAL_JS_BUDGET = 400 * 1024;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

interface Tenant {
  readonly label: string;
  readonly token: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly hasUsage: boolean;
}

interface Build {
  readonly label: string;
  readonly url: string;
}

interface Screen {
  readonly label: string;
  readonly path: (tenant: Tenant) => string;
  readonly kind: 'dashboard' | 'usage';
}

const SCREENS: readonly Screen[] = [
  { label: 'Dashboard', kind: 'dashboard', path: (t) => `/organizations/${t.organizationId}/overview` },
  { label: 'Usage Analytics (default period)', kind: 'usage', path: (t) => `/organizations/${t.organizationId}/workspaces/${t.workspaceId}/chargeback` },
  { label: 'Usage Analytics, Last 90 Days', kind: 'usage', path: (t) => `/organizations/${t.organizationId}/workspaces/${t.workspaceId}/chargeback?period=90d` },
];

interface Load {
  /** Navigation start to usable, the page's clock (ms). */
  readonly ms: number;
  readonly apiCalls: number;
  /** When the last API answer ended, from the navigation's start (ms). */
  readonly apiDoneMs: number;
  /** Each API call's duration by endpoint (path without query). */
  readonly api: ReadonlyArray<{ endpoint: string; ms: number }>;
  /** JavaScript bytes that travelled (encoded). */
  readonly jsBytes: number;
  /** Every request of the load: what, when it started and ended (ms from the navigation's start). */
  readonly waterfall: ReadonlyArray<{ what: string; start: number; end: number }>;
}

/**
 * Runs in the page: the moment the screen is usable (performance.now()), or false. Throws on an error alert so
 * a broken screen fails the bench instead of timing out.
 */
/** The little of the DOM `usable` reads (this project's TypeScript has no DOM library). */
interface PageElement {
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}

function usable({ kind, hasUsage }: { kind: 'dashboard' | 'usage'; hasUsage: boolean }): number | false {
  const { document } = globalThis as unknown as { document: PageElement };
  const main = document.querySelector('main');
  if (!main || !main.querySelector('h1')) return false;
  if (document.querySelector('.MuiCircularProgress-root, .MuiLinearProgress-root')) return false;
  const failed = main.querySelector('.MuiAlert-standardError, .MuiAlert-filledError');
  if (failed) throw new Error(`the screen shows an error: ${failed.textContent}`);
  if (kind === 'dashboard') {
    if (!main.querySelector('[data-testid="workspace-total"]') || !main.querySelector('#dashboard-activity')) return false;
  } else {
    const figures = main.querySelectorAll('[data-testid$="-value"]');
    if (figures.length < 4 || [...figures].some((figure) => !figure.textContent?.trim())) return false;
    const sections = main.querySelectorAll('section[aria-label]');
    if (hasUsage) {
      if (main.querySelectorAll('canvas[role="img"]').length < 2 || !main.querySelector('tbody tr')) return false;
    } else if (sections.length < 4) return false;
  }
  return performance.now();
}

async function measure(page: Page, url: string, screen: Screen, tenant: Tenant): Promise<Load> {
  const requests: Request[] = [];
  const onRequest = (request: Request) => requests.push(request);
  page.on('requestfinished', onRequest);
  try {
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(usable, { kind: screen.kind, hasUsage: tenant.hasUsage }, { polling: 'raf', timeout: 60_000 });
    const ms = (await handle.jsonValue()) as number;
    const origin = await page.evaluate(() => performance.timeOrigin);
    if (!new URL(page.url()).pathname.startsWith(new URL(url).pathname)) throw new Error(`landed on ${page.url()}, not ${url}`);
    const api: Array<{ endpoint: string; ms: number }> = [];
    let apiDoneMs = 0;
    let jsBytes = 0;
    const waterfall: Array<{ what: string; start: number; end: number }> = [];
    for (const request of requests) {
      const timing = request.timing();
      const path = new URL(request.url()).pathname;
      const query = new URL(request.url()).searchParams;
      waterfall.push({ what: `${path}${query.has('interval') ? `?interval=${query.get('interval')}` : ''}${query.has('pageSize') ? `?pageSize=${query.get('pageSize')}` : ''}`, start: timing.startTime - origin, end: timing.startTime + timing.responseEnd - origin });
      if (path.startsWith('/v1/')) {
        const end = timing.startTime + timing.responseEnd - origin;
        // answers that arrived after the screen was usable (none expected) are not its cost
        if (end > ms + 1) continue;
        api.push({ endpoint: path.replace(/\/(org|ws|usr|[a-z]+_)[A-Za-z0-9_-]{6,}/g, '/{id}'), ms: timing.responseEnd - timing.requestStart });
        apiDoneMs = Math.max(apiDoneMs, end);
      } else if (path.endsWith('.js')) {
        jsBytes += (await request.sizes()).responseBodySize;
      }
    }
    waterfall.sort((a, b) => a.start - b.start);
    return { ms, apiCalls: api.length, apiDoneMs, api, jsBytes, waterfall };
  } finally {
    page.off('requestfinished', onRequest);
  }
}

/** index.html's scripts, gzip as served (content-length is what travelled). */
async function initialJavaScript(url: string): Promise<{ files: number; gzipped: number; raw: number }> {
  const html = await (await fetch(`${url}/`, { headers: { accept: 'text/html' } })).text();
  const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((match) => match[1]!);
  if (scripts.length === 0) throw new Error('index.html names no script: is apps/console/dist built?');
  let gzipped = 0;
  let raw = 0;
  for (const path of scripts) {
    // fetch undoes the encoding; content-length is what travelled
    const answer = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
    if (answer.headers.get('content-encoding') !== 'gzip') throw new Error(`${path} is not served gzipped`);
    gzipped += Number(answer.headers.get('content-length'));
    raw += (await answer.arrayBuffer()).byteLength;
  }
  return { files: scripts.length, gzipped, raw };
}

function stats(values: number[]): { p50: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), max: sorted.at(-1)! };
}

const fmt = (ms: number) => Math.round(ms).toString();

async function signInOnce(browser: Browser, url: string, tenant: Tenant): Promise<void> {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 860 } });
  try {
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.getByLabel(SIGN_IN.tokenLabel).fill(tenant.token);
    await page.getByRole('button', { name: SIGN_IN.submit }).click();
    await page.waitForURL((next) => !next.pathname.startsWith('/sign-in'));
    // what the sign-in page keeps is what the cold runs put in place
    const kept = await page.evaluate(() => Object.entries(sessionStorage));
    if (!kept.some(([key, value]) => key === 'steward.token' && value === tenant.token)) throw new Error(`sign-in kept ${JSON.stringify(kept.map(([key]) => key))}`);
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const events = Number(option('events', '1000000').replace(/_/g, ''));
  const runs = Number(option('runs', '10'));
  const page = Number(option('page', '10000'));
  if (!Number.isInteger(events) || events < 1000) throw new Error('--events takes a whole number ≥ 1000');
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number ≥ 1');
  process.stdout.write(`bench:console: ${events.toLocaleString('en-US')} events over ${SPAN_DAYS} days, ${runs} runs per screen and mode (load ${load()})\n`);

  process.stdout.write(`  console: ${ensureConsoleBuilt((line) => process.stdout.write(`  ${line}\n`))}\n`);
  const baseDist = option('base-dist', '');
  const env = await createTestEnv();
  const stack = await startStack(env, baseDist ? { extraGateways: 1, extraGatewayEnv: { GATEWAY_CONSOLE_DIR: baseDist } } : {});
  const builds: Build[] = [{ label: baseDist ? 'this tree' : '', url: stack.url }, ...(baseDist ? [{ label: 'base', url: stack.gatewayUrls[1]! }] : [])];
  let browser: Browser | undefined;
  const store = new PostgresEventStore({ pool: env.pool });
  try {
    const fixtures = new Fixtures(new GatewayClient(stack.url));
    const empty = await fixtures.otherOrganization(stack, 'bench-empty');
    const tenants: Tenant[] = [
      { label: `${Math.round(events * 0.9).toLocaleString('en-US')} calls`, token: stack.ownerToken, organizationId: stack.organizationId, workspaceId: stack.workspaceId, hasUsage: true },
      { label: 'empty', token: empty.owner.token, organizationId: empty.organizationId, workspaceId: empty.workspaceId, hasUsage: false },
    ];

    const loadStarted = Date.now();
    await stack.kill('billing');
    await stack.kill('projections');
    const copySeconds = await bulkLoad(env.pool, events, {
      organizationId: stack.organizationId,
      workspaceId: stack.workspaceId,
      noiseOrganizationId: 'org_bench_noise',
      noiseWorkspaceId: 'ws_bench_noise',
      end: Date.now(),
    });
    process.stdout.write(`  ${events} events copied into the store in ${copySeconds.toFixed(1)} s (load ${load()})\n`);
    const host = new ProjectionHost({ pool: env.pool, store, projections: [chargebackProjection], meter: false, lockPollIntervalMs: 2000 });
    const rebuildSeconds = await rebuildChargeback(host, page);
    await host.stop();
    await stack.restart('projections');
    const { rows: tables } = await env.pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [CHARGEBACK_SCHEMA]);
    for (const { table_name: name } of tables) await env.pool.query(`VACUUM ANALYZE ${CHARGEBACK_SCHEMA}.${name}`);
    await env.pool.query('CHECKPOINT');
    // the gateway answers from the rebuilt read model: the 90 days hold (almost) all of the workspace's calls
    const summary = await waitFor(
      'the gateway to answer the loaded usage',
      async () => {
        const answer = await fetch(`${stack.url}/v1/usage/summary?workspaceId=${stack.workspaceId}&period=90d`, { headers: { authorization: `Bearer ${stack.ownerToken}` } });
        const body = (await answer.json()) as { calls?: number; totalCost?: string };
        return answer.ok && (body.calls ?? 0) >= events * 0.9 * (89 / SPAN_DAYS) ? body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    process.stdout.write(`  loaded in ${loadSeconds.toFixed(1)} s (COPY ${copySeconds.toFixed(1)} s, rebuild ${rebuildSeconds.toFixed(1)} s); Last 90 Days: ${summary.calls} calls, ${summary.totalCost} USD (load ${load()})\n`);

    const js = await initialJavaScript(stack.url);
    process.stdout.write(`  initial JavaScript: ${js.files} file(s), ${(js.gzipped / 1024).toFixed(1)} KB gzipped (${(js.raw / 1024).toFixed(1)} KB raw)\n`);
    if (baseDist) {
      const base = await initialJavaScript(builds[1]!.url);
      process.stdout.write(`  the base build's (${baseDist}): ${base.files} file(s), ${(base.gzipped / 1024).toFixed(1)} KB gzipped\n`);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    for (const tenant of tenants) await signInOnce(browser, stack.url, tenant);

    const results = new Map<string, { cold: Load[]; warm: Load[] }>();
    const key = (screen: Screen, tenant: Tenant, build: Build) => `${screen.label} | ${tenant.label}${build.label ? ` | ${build.label}` : ''}`;
    const loadAverages: string[] = [load()];
    // one unmeasured round warms the gateway's and PostgreSQL's caches as any used system has them
    for (let run = 0; run <= runs; run++) {
      for (const tenant of tenants) {
        for (const screen of SCREENS) {
          for (const build of run % 2 === 0 ? builds : [...builds].reverse()) {
            const context = await browser.newContext({ baseURL: build.url, viewport: { width: 1280, height: 860 } });
            await context.addInitScript((token) => {
              if (sessionStorage.getItem('steward.token') === null) sessionStorage.setItem('steward.token', token);
            }, tenant.token);
            try {
              const tab = await context.newPage();
              const url = `${build.url}${screen.path(tenant)}`;
              const cold = await measure(tab, url, screen, tenant);
              const warm = await measure(tab, url, screen, tenant);
              if (run === 0) continue;
              const entry = results.get(key(screen, tenant, build)) ?? { cold: [], warm: [] };
              entry.cold.push(cold);
              entry.warm.push(warm);
              results.set(key(screen, tenant, build), entry);
            } finally {
              await context.close();
            }
          }
        }
      }
      if (run > 0 && run % 5 === 0) loadAverages.push(load());
      process.stdout.write(`  round ${run}${run === 0 ? ' (warm-up, not counted)' : ''} done (load ${load()})\n`);
    }
    loadAverages.push(load());

    process.stdout.write(`\nconsole screens, navigation to usable, ${runs} runs each (ms; target < ${TARGET_MS} ms)\n`);
    process.stdout.write(`screen | workspace${baseDist ? ' | build' : ''} | cold p50 / p90 / max | warm p50 / p90 / max | API calls | last API answer p50 | after it p50 | JS cold KB\n`);
    for (const screen of SCREENS) {
      for (const build of builds) {
        for (const tenant of tenants) {
          const entry = results.get(key(screen, tenant, build))!;
          const cold = stats(entry.cold.map((l) => l.ms));
          const warm = stats(entry.warm.map((l) => l.ms));
          const apiDone = stats(entry.cold.map((l) => l.apiDoneMs));
          const after = stats(entry.cold.map((l) => l.ms - l.apiDoneMs));
          const calls = stats(entry.cold.map((l) => l.apiCalls));
          const jsKb = stats(entry.cold.map((l) => l.jsBytes / 1024));
          process.stdout.write(
            `${screen.label} | ${tenant.label}${build.label ? ` | ${build.label}` : ''} | ${fmt(cold.p50)} / ${fmt(cold.p90)} / ${fmt(cold.max)} | ${fmt(warm.p50)} / ${fmt(warm.p90)} / ${fmt(warm.max)} | ${calls.p50} | ${fmt(apiDone.p50)} | ${fmt(after.p50)} | ${jsKb.p50.toFixed(1)}\n`,
          );
        }
        const [full, none] = tenants.map((tenant) => results.get(key(screen, tenant, build))!);
        const ratio = (mode: 'cold' | 'warm') => stats(full![mode].map((l) => l.ms)).p50 / stats(none![mode].map((l) => l.ms)).p50;
        const worst = Math.max(stats(full!.cold.map((l) => l.ms)).p90, stats(full!.warm.map((l) => l.ms)).p90);
        process.stdout.write(
          `  ${screen.label}${build.label ? ` (${build.label})` : ''}: with usage / empty, p50: cold ${ratio('cold').toFixed(2)}, warm ${ratio('warm').toFixed(2)}; p90 < ${TARGET_MS} ms with usage: ${worst < TARGET_MS ? 'met' : 'MISSED'}\n`,
        );
      }
      if (baseDist) {
        const mine = results.get(key(screen, tenants[0]!, builds[0]!))!;
        const base = results.get(key(screen, tenants[0]!, builds[1]!))!;
        const p50 = (loads: Load[]) => stats(loads.map((l) => l.ms)).p50;
        process.stdout.write(`  ${screen.label}: this tree / base, p50 with usage: cold ${(p50(mine.cold) / p50(base.cold)).toFixed(2)}, warm ${(p50(mine.warm) / p50(base.warm)).toFixed(2)}\n`);
      }
    }
    process.stdout.write('\nAPI calls of a cold load with usage, per endpoint (ms: p50 / max, calls per load)\n');
    for (const screen of SCREENS) {
      for (const build of builds) {
        const entry = results.get(key(screen, tenants[0]!, build))!;
        const byEndpoint = new Map<string, number[]>();
        for (const l of [...entry.cold, ...entry.warm]) for (const call of l.api) byEndpoint.set(call.endpoint, [...(byEndpoint.get(call.endpoint) ?? []), call.ms]);
        const loads = entry.cold.length + entry.warm.length;
        const lines = [...byEndpoint.entries()].map(([endpoint, times]) => {
          const s = stats(times);
          return `    ${endpoint}: ${fmt(s.p50)} / ${fmt(s.max)} (${(times.length / loads).toFixed(1)})`;
        });
        process.stdout.write(`  ${screen.label}${build.label ? ` (${build.label})` : ''}\n${lines.join('\n')}\n`);
        // the median cold load's requests, in order: what waits for what
        const median = [...entry.cold].sort((a, b) => a.ms - b.ms)[Math.floor(entry.cold.length / 2)]!;
        process.stdout.write(`    a cold load (${fmt(median.ms)} ms to usable), request by request (start → end, ms):\n`);
        for (const step of median.waterfall) process.stdout.write(`      ${fmt(step.start).padStart(5)} → ${fmt(step.end).padStart(5)}  ${step.what}\n`);
      }
    }
    process.stdout.write(
      `\ninitial JavaScript ${(js.gzipped / 1024).toFixed(1)} KB gzipped (< ${INITIAL_JS_BUDGET / 1024} KB: ${js.gzipped < INITIAL_JS_BUDGET ? 'met' : 'MISSED'}); data loaded in ${loadSeconds.toFixed(1)} s; load average during the runs: ${loadAverages.join(' → ')} (a shared machine: other engineers' jobs run too)\n`,
    );
  } finally {
    await browser?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await stack.stop();
    await env.dispose();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
