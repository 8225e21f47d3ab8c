/**
 * The console's files as the gateway serves them, over a local HTTP server on a temporary build: hashed assets
 * cached for ever, index.html uncached with a fresh nonce in place of the placeholder, the SPA fallback only for
 * browser navigations outside the API, no path out of the build directory.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_NONCE_PLACEHOLDER, ConsoleSite } from './console-site';

const INDEX = `<!doctype html><html><head><meta property="csp-nonce" nonce="${CONSOLE_NONCE_PLACEHOLDER}"><script type="module" nonce="${CONSOLE_NONCE_PLACEHOLDER}" src="/assets/index-abc123.js"></script></head><body></body></html>`;

describe('ConsoleSite', () => {
  const rawGet = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const port = (server.address() as AddressInfo).port;
      get({ host: '127.0.0.1', port, path, headers: { accept: 'text/html' } }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
      }).on('error', reject);
    });

  let dir: string;
  let server: Server;
  let url: string;
  let site: ConsoleSite;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-site-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), INDEX);
    writeFileSync(join(dir, 'dist', 'assets', 'index-abc123.js'), `console.log(${JSON.stringify('x'.repeat(5000))});`);
    writeFileSync(join(dir, 'dist', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'secret.txt'), 'outside the build');
    site = new ConsoleSite(join(dir, 'dist'));
    server = createServer((request, response) => {
      if (!site.serve(request, response)) {
        response.statusCode = 404;
        response.end('not the console');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const html = { accept: 'text/html,application/xhtml+xml' };

  it('answers a browser navigation with index.html: no-cache, a strict CSP and a fresh nonce each time', async () => {
    const first = await fetch(`${url}/organizations/o1/overview?tab=x`, { headers: html });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const csp = first.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self' 'nonce-[A-Za-z0-9+/=]{24}';/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    const body = await first.text();
    expect(body).not.toContain(CONSOLE_NONCE_PLACEHOLDER);
    expect(body.split(`nonce="${nonce}"`).length).toBe(3);
    const second = await fetch(`${url}/`, { headers: html });
    expect(second.headers.get('content-security-policy')).not.toBe(csp);
  });

  it('serves hashed assets immutable and compressed, other root files briefly cached', async () => {
    const asset = await fetch(`${url}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(Number(asset.headers.get('content-length'))).toBeLessThan(1000);
    expect(await asset.text()).toContain('xxxxx');
    const head = await fetch(`${url}/assets/index-abc123.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const icon = await fetch(`${url}/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('leaves the API, operational paths, unknown assets, other methods and non-browser requests to the gateway', async () => {
    for (const path of ['/v1/me', '/v1', '/api/v1/events', '/openapi.json', '/docs', '/docs/swagger-ui.css', '/healthz', '/readyz', '/metrics', '/assets/missing.js']) {
      const answer = await fetch(`${url}${path}`, { headers: html });
      expect([path, await answer.text()]).toEqual([path, 'not the console']);
    }
    expect(await (await fetch(`${url}/profile`, { headers: { accept: 'application/json' } })).text()).toBe('not the console');
    expect(await (await fetch(`${url}/profile`, { method: 'POST', headers: html })).text()).toBe('not the console');
  });

  it('never serves a file outside the build', async () => {
    // raw paths: fetch would normalise the dots away before sending
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/../index.html']) {
      expect(await rawGet(path)).not.toContain('outside the build');
    }
  });

  it('says how to build the console when it is not built', async () => {
    const bare = new ConsoleSite(join(dir, 'nothing'));
    const missing = createServer((request, response) => void bare.serve(request, response));
    await new Promise<void>((resolve) => missing.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(missing.address() as AddressInfo).port}/`, { headers: html });
      expect(answer.status).toBe(503);
      expect(await answer.text()).toContain('npm run console:build');
    } finally {
      await new Promise((resolve) => missing.close(resolve));
    }
  });
});
