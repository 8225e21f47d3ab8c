/**
 * Local stand-ins for the systems outside Steward that connection tests call:
 * a Kubernetes API server, a Databricks workspace, a Snowflake login endpoint
 * (all HTTPS with a test CA made by openssl), a Docker Engine on a unix
 * socket, a regional cloud endpoint, and a TLS server that never answers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM of the CA that signed the servers' certificate (what a runtime's caCertificate holds). */
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
  readonly dir: string;
}

/** A CA and a server certificate for 127.0.0.1 / localhost, made with openssl in a temporary directory. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'steward-runtime-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Steward Test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { ca: read('ca.pem'), key: read('server.key'), cert: read('server.pem'), dir };
}

export interface FakeServer {
  readonly url: string;
  /** Every request seen: method, path and headers (to check what the probe sent). */
  readonly requests: Array<{ method: string; path: string; authorization: string | undefined; body: string }>;
  close(): Promise<void>;
}

type Handler = (request: { method: string; path: string; authorization: string | undefined; body: string }) => { status: number; body: string; headers?: Record<string, string> } | 'hang';

async function serve(server: http.Server | https.Server, handler: Handler, listen: () => Promise<string>): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      const answer = handler(seen);
      if (answer === 'hang') return; // never answers: the probe's timeout
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  const url = await listen();
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export function httpsServer(certificates: TestCertificates, handler: Handler): Promise<FakeServer> {
  const server = https.createServer({ key: certificates.key, cert: certificates.cert });
  return serve(server, handler, () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`))));
}

/** An Engine-API-like server on a unix socket: `GET /_ping` → OK. */
export function dockerSocketServer(): Promise<FakeServer & { socketPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const server = http.createServer();
  return serve(
    server,
    (request) => (request.method === 'GET' && request.path === '/_ping' ? { status: 200, body: 'OK', headers: { 'content-type': 'text/plain', 'api-version': '1.45' } } : { status: 404, body: '{"message":"page not found"}' }),
    () => new Promise((resolve) => server.listen(socketPath, () => resolve(`unix://${socketPath}`))),
  ).then((fake) => ({
    ...fake,
    socketPath,
    close: async () => {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  }));
}

/** Kubernetes: `GET /version` with the right bearer token → 200 and a version; another token → 401. */
export function kubernetesHandler(token: string): Handler {
  return (request) => {
    if (request.path !== '/version') return { status: 404, body: '{"kind":"Status","code":404}' };
    if (request.authorization !== `Bearer ${token}`) return { status: 401, body: '{"kind":"Status","message":"Unauthorized","code":401}' };
    return { status: 200, body: JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.2' }) };
  };
}

/** Databricks: the SCIM Me endpoint and clusters/get, bearer token checked. */
/**
 * A Databricks workspace: a personal access token, and with `m2m` a service principal whose client id and
 * secret `POST /oidc/v1/token` (client_credentials, HTTP Basic) exchanges for an access token.
 */
export function databricksHandler(token: string, clusterId: string, m2m?: { clientId: string; clientSecret: string; accessToken: string }): Handler {
  return (request) => {
    if (m2m && request.method === 'POST' && request.path === '/oidc/v1/token') {
      const basic = `Basic ${Buffer.from(`${m2m.clientId}:${m2m.clientSecret}`).toString('base64')}`;
      if (request.authorization !== basic) return { status: 401, body: '{"error":"invalid_client"}' };
      if (new URLSearchParams(request.body).get('grant_type') !== 'client_credentials') return { status: 400, body: '{"error":"unsupported_grant_type"}' };
      return { status: 200, body: JSON.stringify({ access_token: m2m.accessToken, token_type: 'Bearer', expires_in: 3600 }) };
    }
    if (request.authorization !== `Bearer ${token}` && !(m2m && request.authorization === `Bearer ${m2m.accessToken}`)) return { status: 401, body: '{"error_code":"UNAUTHENTICATED"}' };
    if (request.path === '/api/2.0/preview/scim/v2/Me') return { status: 200, body: JSON.stringify({ userName: 'steward@example.com' }) };
    if (request.path.startsWith('/api/2.0/clusters/get')) {
      return request.path.includes(`cluster_id=${clusterId}`) ? { status: 200, body: JSON.stringify({ cluster_id: clusterId, state: 'RUNNING' }) } : { status: 400, body: '{"error_code":"INVALID_PARAMETER_VALUE"}' };
    }
    return { status: 404, body: '{}' };
  };
}

/** Snowflake: the login endpoint answers 200 with success true/false, as the real one does. */
export function snowflakeHandler(user: string, password: string): Handler {
  return (request) => {
    if (request.method !== 'POST' || !request.path.startsWith('/session/v1/login-request')) return { status: 404, body: '{}' };
    const data = (JSON.parse(request.body) as { data?: { LOGIN_NAME?: string; PASSWORD?: string } }).data;
    if (data?.LOGIN_NAME === user && data.PASSWORD === password) return { status: 200, body: JSON.stringify({ success: true, data: { token: 'session-token' } }) };
    return { status: 200, body: JSON.stringify({ success: false, code: '390100', message: 'Incorrect username or password was specified.' }) };
  };
}

/** A regional cloud API root: any answer will do (404 here), as long as it comes over TLS. */
export const cloudEndpointHandler: Handler = () => ({ status: 404, body: '{"error":{"code":404,"message":"Not Found"}}' });

export const hangingHandler: Handler = () => 'hang';
