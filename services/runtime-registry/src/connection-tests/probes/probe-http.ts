import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { RuntimeTestFailure } from '@steward/contracts';

/** One HTTP call of a probe. `socketPath` sends it over a unix socket (Docker). */
export interface ProbeRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly socketPath?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** PEM CA certificate(s) to trust instead of the public ones. */
  readonly ca?: string;
  readonly timeoutMs: number;
}

export interface ProbeResponse {
  readonly statusCode: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly latencyMs: number;
}

/** A call that got no HTTP answer, classified. Its message names the host, never a credential. */
export class ProbeCallError extends Error {
  constructor(
    readonly failure: RuntimeTestFailure,
    message: string,
    readonly latencyMs: number,
  ) {
    super(message);
    this.name = 'ProbeCallError';
  }
}

const MAX_BODY = 256 * 1024;

const TLS_CODES = /CERT|SELF_SIGNED|TLS|SSL|EPROTO|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH/;

export function classifyNetworkError(error: NodeJS.ErrnoException, target: string, timeoutMs: number): { failure: RuntimeTestFailure; message: string } {
  const code = error.code ?? '';
  if (code === 'PROBE_TIMEOUT') return { failure: 'timeout', message: `no answer from ${target} within ${Math.round(timeoutMs / 100) / 10} s` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return { failure: 'dns', message: `the host name of ${target} does not resolve (DNS ${code})` };
  }
  if (TLS_CODES.test(code)) return { failure: 'tls', message: `TLS handshake with ${target} failed: ${code} (${error.message.slice(0, 200)})` };
  if (code === 'ECONNREFUSED') return { failure: 'unreachable', message: `${target} refused the connection` };
  if (code === 'ENOENT') return { failure: 'unreachable', message: `no socket at ${target}` };
  if (code === 'EACCES') return { failure: 'unreachable', message: `no permission to open ${target}` };
  return { failure: 'unreachable', message: `cannot reach ${target}: ${code || error.message.slice(0, 200)}` };
}

/** Sends one request with a hard deadline (connect, TLS, headers and body included). */
export function probeHttp(request: ProbeRequest): Promise<ProbeResponse> {
  const started = performance.now();
  const url = new URL(request.url);
  const target = request.socketPath ? `unix://${request.socketPath}` : `${url.protocol}//${url.host}`;
  const client = url.protocol === 'https:' ? https : http;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<ProbeResponse>((resolve, reject) => {
    let settled = false;
    const elapsed = () => Math.round(performance.now() - started);
    const fail = (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const { failure, message } = classifyNetworkError(error, target, request.timeoutMs);
      reject(new ProbeCallError(failure, message, elapsed()));
    };
    const outgoing = client.request(
      {
        method: request.method,
        ...(request.socketPath ? { socketPath: request.socketPath } : { hostname, port: url.port || undefined }),
        path: `${url.pathname}${url.search}`,
        headers: { accept: 'application/json', 'user-agent': 'steward-runtime-test/1', ...request.headers, ...(request.body ? { 'content-length': Buffer.byteLength(request.body) } : {}) },
        ...(request.ca ? { ca: request.ca } : {}),
        ...(isIP(hostname) ? {} : { servername: url.hostname }),
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY) chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), latencyMs: elapsed() });
        });
        response.on('error', fail);
      },
    );
    const timer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error('timeout');
      error.code = 'PROBE_TIMEOUT';
      fail(error);
      outgoing.destroy();
    }, request.timeoutMs);
    outgoing.on('error', fail);
    if (request.body) outgoing.write(request.body);
    outgoing.end();
  });
}
