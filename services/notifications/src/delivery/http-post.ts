import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress, TargetGuard } from './target-guard';

/** What one POST came back with: a status (null when none came back), how long it took, why it failed. */
export interface PostOutcome {
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

/** A DNS lookup answering only the addresses the guard checked: the connection cannot be rebound elsewhere. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, addresses.map(({ address, family }) => ({ address, family })));
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as unknown as LookupFunction;
}

/**
 * POSTs a JSON body to a target the SSRF guard let through, connecting only to the addresses it
 * checked; no redirects are followed (a 3xx is a failure: a redirect could lead anywhere). The body
 * of the answer is read (at most 64 KiB, for the error) and dropped.
 */
export async function postJson(guard: TargetGuard, url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let addresses: ResolvedAddress[];
  try {
    addresses = await guard.addressesFor(url);
  } catch (error) {
    return { statusCode: null, latencyMs: elapsed(), error: `refused: ${(error as Error).message}` };
  }
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Steward-Notifications/1', 'content-length': String(Buffer.byteLength(body)), ...headers },
        lookup: pinnedLookup(addresses),
        timeout: timeoutMs,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < 65_536) text += chunk;
        });
        response.on('end', () => {
          const statusCode = response.statusCode ?? null;
          const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
          resolve({ statusCode, latencyMs: elapsed(), error: ok ? null : `HTTP ${statusCode}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}` });
        });
        response.on('error', (error) => resolve({ statusCode: response.statusCode ?? null, latencyMs: elapsed(), error: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ statusCode: null, latencyMs: elapsed(), error: error.code ? `${error.code}: ${error.message}` : error.message }));
    request.end(body);
  });
}
