/**
 * The client a consumer generates from the served GET /openapi.json: openapi-typescript makes its types,
 * they type-check under `strict` together with code that calls the API through openapi-fetch, the
 * checked-in copy (libs/sdk/src/api/steward-api.generated.ts, `npm run openapi:client`) is what the served
 * document generates today, and openapi-fetch calls with those types work against the running stack.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import createClient from 'openapi-fetch';
import ts from 'typescript';
import type { StewardApiPaths } from '@steward/sdk';
import { type Stack, type TestEnv, createTestEnv, startStack } from '@steward/testing';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const GENERATED_CLIENT_PATH = join(ROOT, 'libs', 'sdk', 'src', 'api', 'steward-api.generated.ts');

/** Code a consumer writes: typed paths, parameters, bodies and answers. */
const CONSUMER = `
import createClient from 'openapi-fetch';
import type { paths } from './steward-api';

export async function firstWorkspaceName(baseUrl: string, token: string, orgId: string): Promise<string | undefined> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });
  const me = await client.GET('/v1/me');
  const userId: string | undefined = me.data?.userId;
  const page = await client.GET('/v1/organizations/{orgId}/workspaces', { params: { path: { orgId }, query: { page: 1 } } });
  const created = await client.POST('/v1/organizations/{orgId}/workspaces', {
    params: { path: { orgId }, header: { 'Idempotency-Key': 'k-1' } },
    body: { name: 'typed' },
  });
  const problem: string | undefined = created.error?.detail;
  return page.data?.items[0]?.name ?? userId ?? problem;
}
`;

describe('the generated OpenAPI client', () => {
  let env: TestEnv;
  let stack: Stack;
  let document: Record<string, unknown>;
  let generated: string;
  let dir: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    document = (await (await fetch(`${stack.url}/openapi.json`)).json()) as Record<string, unknown>;
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'tmp', 'openapi-client-'));
    // what `npm run openapi:client <url> <file>` writes
    execFileSync(process.execPath, ['-r', '@swc-node/register', 'tools/openapi-client.ts', stack.url, join(dir, 'steward-api.ts')], { cwd: ROOT, stdio: 'pipe' });
    generated = readFileSync(join(dir, 'steward-api.ts'), 'utf8');
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stack?.stop();
    await env?.dispose();
  });

  it('refers only to what the document holds: no $defs of a nested schema, every $ref resolves', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('#/$defs/');
    const components = document.components as { schemas: Record<string, unknown>; headers: Record<string, unknown> };
    for (const [, kind, name] of text.matchAll(/"#\/components\/(schemas|headers)\/([^"]+)"/g)) {
      expect(components[kind as 'schemas' | 'headers'][name as string]).toBeDefined();
    }
  });

  it('type-checks under strict, with a consumer calling it through openapi-fetch', () => {
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER);
    const program = ts.createProgram([join(dir, 'steward-api.ts'), join(dir, 'consumer.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('is checked in as generated from the served document (npm run openapi:client)', () => {
    const checkedIn = readFileSync(GENERATED_CLIENT_PATH, 'utf8');
    if (checkedIn !== generated) {
      const fresh = join(ROOT, 'tmp', 'steward-api.generated.ts');
      writeFileSync(fresh, generated);
      throw new Error(`${GENERATED_CLIENT_PATH} is stale: run \`npm run openapi:client\` against a running gateway (this document's output is in ${fresh})`);
    }
  });

  it('calls the running gateway with openapi-fetch: typed answers and typed problems', async () => {
    const client = createClient<StewardApiPaths>({ baseUrl: stack.url, headers: { authorization: `Bearer ${stack.ownerToken}` } });
    const me = await client.GET('/v1/me');
    expect(me.response.status).toBe(200);
    expect(me.data?.userId).toBe(stack.ownerUserId);

    const created = await client.POST('/v1/organizations/{orgId}/workspaces', {
      params: { path: { orgId: stack.organizationId }, header: { 'Idempotency-Key': `client-${Date.now()}` } },
      body: { name: 'Created through the generated client' },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.name).toBe('Created through the generated client');
    expect(created.response.headers.get('ratelimit-limit')).toMatch(/^\d+$/);

    const missing = await client.GET('/v1/workspaces/{wsId}', { params: { path: { wsId: 'ws-nowhere' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.status).toBe(404);
    expect(missing.data).toBeUndefined();
  });
});
