import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeProviderSchemas, supersededCredentialFields } from '@steward/contracts';
import { runProbe } from './runtime-probes';

/**
 * A fake Databricks workspace (a system outside Steward) on 127.0.0.1: a personal access token, or an
 * OAuth M2M service principal whose client id and secret `/oidc/v1/token` exchanges for an access token.
 */
const PAT = 'pat-without-the-dapi-prefix-0123456789';
const CLIENT_ID = '6a1b9d2e-0c4f-4e8a-9b7d-3f2a1c0e5d44';
const CLIENT_SECRET = 'dose-m2m-secret-abcdefghijklmnop';
const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.m2m-access-token.signature';

const SETTINGS = { timeoutMs: 5_000, attempts: 1, retryDelayMs: 0 };

function read(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => resolve(body));
  });
}

describe('the Databricks connection test', () => {
  let server: Server;
  let host: string;
  const seen: Array<{ method: string; path: string; authorization: string | undefined; body: string }> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      void read(request).then((body) => {
        const path = request.url ?? '';
        seen.push({ method: request.method ?? '', path, authorization: request.headers.authorization, body });
        const answer = (status: number, value: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(value));
        };
        if (path === '/oidc/v1/token' && request.method === 'POST') {
          const form = new URLSearchParams(body);
          const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
          if (request.headers.authorization !== basic) return answer(401, { error: 'invalid_client' });
          if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'all-apis') return answer(400, { error: 'invalid_request' });
          return answer(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 });
        }
        if (request.headers.authorization !== `Bearer ${PAT}` && request.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return answer(401, { error_code: 'UNAUTHENTICATED' });
        if (path === '/api/2.0/preview/scim/v2/Me') return answer(200, { userName: 'steward@example.com' });
        if (path === '/api/2.0/clusters/get?cluster_id=cluster-7') return answer(200, { cluster_id: 'cluster-7', state: 'RUNNING' });
        return answer(404, {});
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  it('signs in with a personal access token of any shape (no dapi prefix required)', async () => {
    const outcome = await runProbe({ provider: 'databricks', config: { host, clusterId: 'cluster-7' }, secrets: { token: PAT } }, SETTINGS);
    expect(outcome).toMatchObject({ ok: true, message: expect.stringContaining('cluster cluster-7 is RUNNING') });
    expect(seen.map((call) => call.path)).toEqual(['/api/2.0/preview/scim/v2/Me', '/api/2.0/clusters/get?cluster_id=cluster-7']);
  });

  it('with OAuth M2M: exchanges the client credentials at /oidc/v1/token, then calls with the access token, which it never reports', async () => {
    const outcome = await runProbe({ provider: 'databricks', config: { host, clusterId: 'cluster-7', clientId: CLIENT_ID }, secrets: { clientSecret: CLIENT_SECRET } }, SETTINGS);
    expect(outcome).toMatchObject({ ok: true, attempts: 3, message: expect.stringContaining('cluster cluster-7 is RUNNING') });
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/oidc/v1/token' });
    expect(new URLSearchParams(seen[0]!.body).get('grant_type')).toBe('client_credentials');
    expect(seen.slice(1).map((call) => call.authorization)).toEqual([`Bearer ${ACCESS_TOKEN}`, `Bearer ${ACCESS_TOKEN}`]);
    expect(JSON.stringify(outcome)).not.toMatch(new RegExp(`${ACCESS_TOKEN}|${CLIENT_SECRET}`));
  });

  it('reports refused client credentials as unauthorized, without the secret', async () => {
    const wrong = `${CLIENT_SECRET}-old`;
    const outcome = await runProbe({ provider: 'databricks_serverless', config: { host, clientId: CLIENT_ID }, secrets: { clientSecret: wrong } }, SETTINGS);
    expect(outcome).toMatchObject({ ok: false, failure: 'unauthorized', statusCode: 401, message: expect.stringContaining('OAuth client credentials') });
    expect(JSON.stringify(outcome)).not.toContain(wrong);
    expect(seen).toHaveLength(1);
  });

  it('configuration: a token, or clientId and clientSecret, exactly one of them, each problem naming its field', () => {
    const base = { host: 'https://adb-1.2.azuredatabricks.net', clusterId: 'c-1' };
    const issues = (config: object) => {
      const parsed = RuntimeProviderSchemas.databricks.safeParse(config);
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.'));
    };
    expect(issues({ ...base, token: PAT })).toEqual([]);
    expect(issues({ ...base, token: ACCESS_TOKEN })).toEqual([]);
    expect(issues({ ...base, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })).toEqual([]);
    expect(issues(base)).toEqual(['token']);
    expect(issues({ ...base, clientId: CLIENT_ID })).toEqual(['clientSecret']);
    expect(issues({ ...base, clientSecret: CLIENT_SECRET })).toEqual(['clientId']);
    expect(issues({ ...base, token: PAT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })).toEqual(['token']);
  });

  it('a change giving one credential form drops the other', () => {
    expect(supersededCredentialFields('databricks', ['clientSecret'])).toEqual(['token']);
    expect(supersededCredentialFields('databricks', ['token'])).toEqual(['clientId', 'clientSecret']);
    expect(supersededCredentialFields('databricks', ['clusterId'])).toEqual([]);
    expect(supersededCredentialFields('onprem_k8s', ['token'])).toEqual([]);
  });
});
