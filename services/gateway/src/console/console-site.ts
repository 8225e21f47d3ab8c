import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The web console (apps/console, built by Vite into apps/console/dist) served by the gateway at `/`:
 * content-hashed files under /assets cached for a year, index.html never cached and sent for every other
 * browser navigation that is not an API or operational path (the console routes on the client).
 *
 * The Content-Security-Policy allows scripts from this origin only (no inline script). MUI styles through
 * emotion, which writes <style> elements at run time: rather than 'unsafe-inline', each index.html gets a fresh
 * nonce (Vite's `html.cspNonce` placeholder, replaced here) that emotion puts on its style elements, so only the
 * console's own styles apply. Style attributes are never needed: React sets inline styles through the CSSOM,
 * which CSP does not restrict.
 */

/** The placeholder `html.cspNonce` in apps/console/vite.config.ts writes into index.html. */
export const CONSOLE_NONCE_PLACEHOLDER = 'STEWARD_CSP_NONCE';

/** Paths that are never the console's: the API and the operational routes keep their own answers (and 404s). */
const NOT_CONSOLE = /^\/(v1|api|openapi\.json|docs|healthz|readyz|metrics)(\/|$|\?)/;
const ASSET = /^\/assets\/[A-Za-z0-9_.-]+$/;
const ROOT_FILE = /^\/[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(ico|png|svg|txt|webmanifest)$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.map', '.txt']);

/** `connectSources`: origins beyond this one the console may call (the OIDC provider's token endpoint, when configured). */
export function consoleCsp(nonce: string, connectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...connectSources].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

interface CachedFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
}

export class ConsoleSite {
  private readonly dir: string;
  private readonly assets = new Map<string, CachedFile>();
  private index: { mtimeMs: number; text: string } | undefined;

  /** `connectSources()`: read for each index.html (an OIDC provider's origins become known once discovery answered). */
  constructor(
    dir: string,
    private readonly connectSources: () => readonly string[] = () => [],
  ) {
    this.dir = resolve(dir);
  }

  /** Answers the request when it is the console's (true); leaves API and unknown non-browser requests alone. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = (request.url ?? '/').split('?')[0]!;
    if (NOT_CONSOLE.test(path)) return false;
    if (ASSET.test(path) || ROOT_FILE.test(path)) {
      const file = this.file(path);
      if (file !== undefined) {
        // only /assets names carry a content hash; other files may change under the same name
        response.setHeader('cache-control', ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
        this.send(request, response, file, CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
        return true;
      }
      if (ASSET.test(path)) return false;
    }
    if (!acceptsHtml(request)) return false;
    const index = this.indexHtml();
    const nonce = randomBytes(16).toString('base64');
    response.setHeader('content-security-policy', consoleCsp(nonce, this.connectSources()));
    response.setHeader('cache-control', 'no-cache');
    if (index === undefined) {
      response.statusCode = 503;
      response.setHeader('content-type', 'text/plain; charset=utf-8');
      response.end('The console is not built: run `npm run console:build` (npm start builds it when it is missing).\n');
      return true;
    }
    const body = Buffer.from(index.replaceAll(CONSOLE_NONCE_PLACEHOLDER, nonce));
    this.send(request, response, { body, gzip: gzipSync(body) }, CONTENT_TYPES['.html']!);
    return true;
  }

  private file(path: string): CachedFile | undefined {
    const known = this.assets.get(path);
    if (known !== undefined) return known;
    const full = join(this.dir, path);
    if (!full.startsWith(this.dir + '/') || !existsSync(full) || !statSync(full).isFile()) return undefined;
    const body = readFileSync(full);
    const file = { body, gzip: COMPRESSIBLE.has(extname(path)) && body.length > 1024 ? gzipSync(body) : undefined };
    // hashed assets never change under their name; the others are few and small
    this.assets.set(path, file);
    return file;
  }

  private indexHtml(): string | undefined {
    const full = join(this.dir, 'index.html');
    if (!existsSync(full)) return undefined;
    const { mtimeMs } = statSync(full);
    if (this.index?.mtimeMs !== mtimeMs) {
      this.index = { mtimeMs, text: readFileSync(full, 'utf8') };
      this.assets.clear();
    }
    return this.index.text;
  }

  private send(request: IncomingMessage, response: ServerResponse, file: CachedFile, contentType: string): void {
    const gzip = file.gzip !== undefined && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip! : file.body;
    response.statusCode = 200;
    response.setHeader('content-type', contentType);
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('referrer-policy', 'no-referrer');
    response.setHeader('vary', 'accept-encoding');
    if (gzip) response.setHeader('content-encoding', 'gzip');
    response.setHeader('content-length', body.length);
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}

function acceptsHtml(request: IncomingMessage): boolean {
  return String(request.headers.accept ?? '').includes('text/html');
}
