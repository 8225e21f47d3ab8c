/**
 * @steward/sdk as an agent outside this repository gets it: `npm run sdk:build`, `npm pack ./libs/sdk`,
 * the tarball installed offline (with an empty npm cache: the package has no dependency) into a scratch
 * project in the system's temp folder, far from the monorepo's node_modules; then scripts of that
 * project, run by Node, call the running stack through the package:
 * - usage recorded one by one and batched, a job with its steps, a refusal typed as StewardRequestError,
 *   all read back through the API;
 * - a TypeScript consumer type-checks against the package's declarations (ESM, strict), and a
 *   CommonJS one can require() it;
 * - budget reservations (withBudget, reserve, release, a 402 from a block budget), once the gateway
 *   serves them: until then every test of that block fails, the first naming the missing routes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const RESERVATIONS_PATH = '/v1/workspaces/{wsId}/budget-reservations';
const RESERVATION_PATH = '/v1/workspaces/{wsId}/budget-reservations/{id}';

/** The environment for npm: without the npm_* variables an `npm test` run sets, which would steer the inner npm. */
function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  return { ...env, npm_config_cache: cache, npm_config_update_notifier: 'false' };
}

function npm(args: readonly string[], cwd: string, cache: string): string {
  const result = spawnSync('npm', [...args], { cwd, env: npmEnv(cache), encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Usage, jobs and a refusal, through the installed package. */
const AGENT_SCRIPT = `
import { StewardClient, StewardRequestError } from '@steward/sdk';

const { STEWARD_URL, STEWARD_API_KEY, STEWARD_WORKSPACE, RUN_ID } = process.env;
const client = new StewardClient({ baseUrl: STEWARD_URL, apiKey: STEWARD_API_KEY, workspaceId: STEWARD_WORKSPACE, source: 'packaged-agent-' + RUN_ID });

const receipt = await client.recordUsage({
  id: RUN_ID + '-direct', agent: 'packaged-agent', provider: 'openai', model: 'gpt-4o', inputTokens: 1000, outputTokens: 200, responseTimeMs: 500,
});
const queued = client.usage.record({ id: RUN_ID + '-batched', agent: 'packaged-agent', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5 });

const run = await client.jobs.startJob({ jobId: RUN_ID + '-job', agent: 'packaged-agent', input: 'hello' });
await run.userMessage('hello').assistantResponse('hi there').finish('success', 'greeted');

let refusal;
try {
  await client.recordUsage({ provider: 'openai', model: 'gpt-4o', inputTokens: -1 });
} catch (error) {
  refusal = { steward: error instanceof StewardRequestError, code: error.code, status: error.status };
}
await client.close();
console.log(JSON.stringify({ receipt, queued, pendingAfterClose: client.usage.pending, jobId: run.jobId, refusal }));
`;

/** Reservations through the installed package. */
const BUDGET_SCRIPT = `
import { StewardClient } from '@steward/sdk';

const { STEWARD_URL, STEWARD_API_KEY, STEWARD_WORKSPACE, RUN_ID } = process.env;
const client = new StewardClient({ baseUrl: STEWARD_URL, apiKey: STEWARD_API_KEY, workspaceId: STEWARD_WORKSPACE, source: 'packaged-agent-' + RUN_ID });
const call = { agent: 'packaged-agent', provider: 'openai', model: 'gpt-4o' };

let ran = false;
const result = await client.withBudget({ ...call, estimatedCostUsd: '0.05' }, async (reservation) => {
  ran = true;
  return { result: { reservationId: reservation.id, remainingUsd: reservation.remainingUsd }, usage: { id: RUN_ID + '-budgeted', inputTokens: 300, outputTokens: 100 } };
});

const spare = await client.reserve({ ...call, estimatedCostUsd: '0.01', ttlSeconds: 60 });
const released = await spare.release();
// an id of the same shape that Steward never granted
const unknown = await client.release(spare.id.slice(0, -8) + '00000000');
console.log(JSON.stringify({ ran, result, spare: { id: spare.id, expiresAt: spare.expiresAt, remainingUsd: spare.remainingUsd }, released, unknown }));
`;

/** A call past a block budget: BudgetExceededError, and the call is never made. */
const CAPPED_SCRIPT = `
import { BudgetExceededError, StewardClient, StewardRequestError } from '@steward/sdk';

const { STEWARD_URL, STEWARD_API_KEY, STEWARD_WORKSPACE, RUN_ID } = process.env;
const client = new StewardClient({ baseUrl: STEWARD_URL, apiKey: STEWARD_API_KEY, workspaceId: STEWARD_WORKSPACE, source: 'packaged-agent-' + RUN_ID });
let ran = false;
try {
  await client.withBudget({ estimatedCostUsd: '0.05', agent: 'capped-' + RUN_ID, provider: 'openai', model: 'gpt-4o' }, async () => {
    ran = true;
    return { result: 'never', usage: { inputTokens: 1 } };
  });
  console.log(JSON.stringify({ ran, refused: false }));
} catch (error) {
  const typed = error instanceof BudgetExceededError && error instanceof StewardRequestError;
  console.log(JSON.stringify({ ran, typed, code: error.code, status: error.status, budgetId: error.budgetId, remainingUsd: error.remainingUsd }));
}
`;

/** A TypeScript consumer: the declarations resolve, and they are real types (the expected error is there). */
const CONSUMER = `
import { BudgetExceededError, StewardClient, type Reservation, type UsageEventInput } from '@steward/sdk';

export async function budgeted(client: StewardClient): Promise<string> {
  try {
    return await client.withBudget({ estimatedCostUsd: '0.01', provider: 'openai', model: 'gpt-4o' }, async (reservation: Reservation) => ({
      result: reservation.id,
      usage: { inputTokens: 1, outputTokens: 1 },
    }));
  } catch (error) {
    if (error instanceof BudgetExceededError) return error.remainingUsd ?? error.budgetId ?? String(error.status);
    throw error;
  }
}

export const event: UsageEventInput = { id: 'call-1', source: 'agent', time: new Date().toISOString(), provider: 'openai', model: 'gpt-4o', budgetReservationId: 'r' };

export function wrong(client: StewardClient): Promise<Reservation> {
  // @ts-expect-error money is exact decimal text, never a number
  return client.reserve({ estimatedCostUsd: 0.01 });
}
`;

/** The scopes an API key may be issued with: the enumeration of `scopes` in the document's request bodies. */
function apiKeyScopes(document: unknown): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const scopes = (node as { scopes?: { items?: { enum?: unknown } } }).scopes?.items?.enum;
    if (Array.isArray(scopes) && scopes.includes('usage:write')) for (const scope of scopes) found.add(String(scope));
    for (const child of Object.values(node)) visit(child);
  };
  visit(document);
  if (found.size === 0) throw new Error('no API key scopes in /openapi.json');
  return [...found];
}

interface RecentUsage {
  items: Array<{ usageId: string; source: string; agent: string; model: string; tokens: { input: number; output: number } }>;
}

describe('@steward/sdk installed from its tarball into a project outside the repository', () => {
  let env: TestEnv;
  let stack: Stack;
  let dir: string;
  let project: string;
  let tarball: string;
  let apiKey: string;
  let budgetKey: string;
  let openApiPaths: Record<string, unknown>;
  const runId = `sdk-${Date.now().toString(36)}`;

  /** Runs a script of the scratch project with the test's Node; returns its JSON line. */
  function runScript<T>(name: string, source: string, key = apiKey): T {
    writeFileSync(join(project, name), source);
    const result = spawnSync(process.execPath, [name], {
      cwd: project,
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH ?? '', STEWARD_URL: stack.url, STEWARD_API_KEY: key, STEWARD_WORKSPACE: stack.workspaceId, RUN_ID: runId },
    });
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as T;
  }

  async function recentUsage(): Promise<RecentUsage['items']> {
    const response = await fetch(`${stack.url}/v1/usage/events?workspaceId=${stack.workspaceId}&period=7d&pageSize=100`, {
      headers: { authorization: `Bearer ${stack.ownerToken}` },
    });
    if (response.status !== 200) throw new Error(`GET /v1/usage/events: ${response.status} ${await response.text()}`);
    return ((await response.json()) as RecentUsage).items.filter((item) => item.source === `packaged-agent-${runId}`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-sdk-package-'));
    const cache = join(dir, 'npm-cache');
    // what the README tells an outside project to run
    execFileSync('npm', ['run', 'sdk:build'], { cwd: ROOT, env: npmEnv(join(dir, 'unused-cache')), stdio: 'pipe' });
    npm(['pack', join(ROOT, 'libs', 'sdk'), '--pack-destination', dir], ROOT, cache);
    tarball = join(dir, readdirSync(dir).find((name) => name.endsWith('.tgz')) ?? 'no tarball');
    project = join(dir, 'agent');
    mkdirSync(project);
    npm(['init', '-y'], project, cache);
    npm(['install', tarball, '--offline', '--no-audit', '--no-fund'], project, cache);

    env = await createTestEnv();
    stack = await startStack(env);
    const fixtures = new Fixtures(new GatewayClient(stack.url));
    const document = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    openApiPaths = document.paths;
    apiKey = (await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['usage:write', 'jobs:write'], 'packaged agent')).token;
    // the reservations' scope is the budgets context's to choose: this key has every scope a key can have
    budgetKey = (await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, apiKeyScopes(document), 'packaged agent, budgets')).token;
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is an ES module package with declarations and no dependency', () => {
    const listed = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(listed).toEqual(expect.arrayContaining(['package/package.json', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']));
    expect(listed.filter((path) => /\.spec\.|\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', '@steward', 'sdk', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(installed).toMatchObject({ name: '@steward/sdk', version: '0.1.0', type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } });
    expect([installed.dependencies, installed.peerDependencies]).toEqual([undefined, undefined]);
    // the one package in the scratch project's tree
    expect(readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['@steward']);
  });

  it('type-checks a strict TypeScript consumer against its declarations, and loads with require() too', () => {
    writeFileSync(join(project, 'consumer.mts'), CONSUMER);
    const program = ts.createProgram([join(project, 'consumer.mts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: false,
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      types: ['node'],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => `${diagnostic.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);

    const required = spawnSync(process.execPath, ['-e', "const sdk = require('@steward/sdk'); console.log(typeof sdk.StewardClient, typeof sdk.BudgetExceededError)"], {
      cwd: project,
      encoding: 'utf8',
    });
    expect({ stdout: required.stdout.trim(), stderr: required.stderr }).toEqual({ stdout: 'function function', stderr: '' });
  });

  it('records usage (one call now, one batched), a job and its steps; a refusal is a typed error; all read back through the API', async () => {
    const out = runScript<{ receipt: { id: string; batchId: string }; queued: string; pendingAfterClose: number; jobId: string; refusal: unknown }>('agent.mjs', AGENT_SCRIPT);
    expect(out).toMatchObject({ receipt: { id: `${runId}-direct`, batchId: expect.any(String) }, queued: `${runId}-batched`, pendingAfterClose: 0, jobId: `${runId}-job` });
    expect(out.refusal).toEqual({ steward: true, code: 'REFUSED', status: 400 });

    const items = await waitFor('both calls in the recent usage', async () => {
      const found = await recentUsage();
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(items.map((item) => [item.usageId, item.agent, item.model, item.tokens.input, item.tokens.output]).sort()).toEqual([
      [`${runId}-batched`, 'packaged-agent', 'gpt-4o-mini', 10, 5],
      [`${runId}-direct`, 'packaged-agent', 'gpt-4o', 1000, 200],
    ]);

    const job = await waitFor('the job finished with its steps', async () => {
      const response = await fetch(`${stack.url}/v1/workspaces/${stack.workspaceId}/jobs/${out.jobId}`, { headers: { authorization: `Bearer ${stack.ownerToken}` } });
      const body = response.status === 200 ? ((await response.json()) as { status: string; summary: string; steps: Array<{ type: string; content: string }> }) : undefined;
      return body?.status === 'success' && body.steps.length === 2 ? body : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect({ summary: job.summary, steps: job.steps.map((step) => [step.type, step.content]) }).toEqual({
      summary: 'greeted',
      steps: [
        ['user_message', 'hello'],
        ['assistant_response', 'hi there'],
      ],
    });
  });

  describe('budget reservations', () => {
    it('the gateway serves POST and DELETE of budget reservations (fails until the budgets context lands)', () => {
      const missing = [
        [RESERVATIONS_PATH, 'post'],
        [RESERVATION_PATH, 'delete'],
      ].filter(([path, method]) => (openApiPaths[path as string] as Record<string, unknown> | undefined)?.[method as string] === undefined);
      expect(missing).toEqual([]);
    });

    it('withBudget reserves, runs the call and commits it with the usage record; a spare hold is released; an unknown one is no error', async () => {
      if (openApiPaths[RESERVATIONS_PATH] === undefined) throw new Error(`the gateway does not serve ${RESERVATIONS_PATH} yet: the budgets context has not landed`);
      const out = runScript<{ ran: boolean; result: { reservationId: string; remainingUsd: string }; spare: { id: string; expiresAt: string }; released: boolean; unknown: boolean }>(
        'budget.mjs',
        BUDGET_SCRIPT,
        budgetKey,
      );
      expect(out).toMatchObject({ ran: true, released: true, unknown: false });
      expect(out.result.reservationId).toEqual(expect.any(String));
      expect(out.spare.id).not.toBe(out.result.reservationId);
      expect(Date.parse(out.spare.expiresAt)).toBeGreaterThan(Date.now());

      const budgeted = await waitFor('the budgeted call in the recent usage', async () => (await recentUsage()).find((item) => item.usageId === `${runId}-budgeted`), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      expect([budgeted.model, budgeted.tokens.input, budgeted.tokens.output]).toEqual(['gpt-4o', 300, 100]);
    });

    it('a reservation past a block budget is a BudgetExceededError naming the budget, and withBudget never makes the call', async () => {
      if (openApiPaths[RESERVATIONS_PATH] === undefined) throw new Error(`the gateway does not serve ${RESERVATIONS_PATH} yet: the budgets context has not landed`);
      const client = new GatewayClient(stack.url);
      const budget = await client.expect<{ id: string }>(201, 'POST', `/v1/workspaces/${stack.workspaceId}/budgets`, {
        token: stack.ownerToken,
        body: { name: `SDK cap ${runId}`, period: 'daily', limitUsd: '0.01', enforcement: 'block', scope: { agent: `capped-${runId}` } },
      });
      const out = runScript<Record<string, unknown>>('capped.mjs', CAPPED_SCRIPT, budgetKey);
      expect(out).toEqual({ ran: false, typed: true, code: 'BUDGET_EXCEEDED', status: 402, budgetId: budget.id, remainingUsd: '0.01' });
    });
  });
});
