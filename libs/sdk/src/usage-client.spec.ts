import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fullJitterDelay, retryAfterMs } from './backoff.js';
import { StewardUsageClient, UsageClientClosedError, UsageDeliveryErrorCode, type StewardUsageClientOptions, type UsageDeliveryError } from './usage-client.js';

/** Steward as the client sees it: a local HTTP server answering from a script, recording every request. */
interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly events: Array<{ id: string; source: string; time: string; model: string }>;
}
type Reply = (request: Received, response: ServerResponse) => void;

const accepted = (request: Received, response: ServerResponse): void => {
  response.writeHead(202, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ batchId: 'b', accepted: request.events.length, rejected: 0, errors: [] }));
};
const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (_request, response) => {
    response.writeHead(code, { 'content-type': 'application/problem+json', ...headers });
    response.end(JSON.stringify({ status: code, detail: `scripted ${code}` }));
  };
const dropConnection: Reply = (_request, response) => response.socket?.destroy();

class FakeSteward {
  readonly received: Received[] = [];
  private script: Reply[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { events: Received['events'] };
        const received = { path: request.url ?? '', headers: request.headers, events: body.events };
        this.received.push(received);
        (this.script.shift() ?? accepted)(received, response);
        for (const waiter of this.waiters.splice(0)) waiter();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  answer(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  /** Resolves once `count` requests have arrived. */
  async requests(count: number): Promise<void> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const call = { agent: 'researcher', provider: 'openai', model: 'gpt-4o', inputTokens: 100, outputTokens: 20 };

describe('StewardUsageClient against a local HTTP server', () => {
  let steward: FakeSteward;
  let waits: number[];
  let errors: UsageDeliveryError[];
  let clients: StewardUsageClient[];

  function client(options: Partial<StewardUsageClientOptions> = {}): StewardUsageClient {
    const created = new StewardUsageClient({
      baseUrl: steward.url,
      apiKey: 'stw_test',
      workspaceId: 'ws_1',
      source: 'unit-agent',
      flushIntervalMs: 60_000,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
      onError: (error) => errors.push(error),
      ...options,
    });
    clients.push(created);
    return created;
  }

  beforeEach(async () => {
    steward = new FakeSteward();
    await steward.start();
    waits = [];
    errors = [];
    clients = [];
  });

  afterEach(async () => {
    for (const created of clients) await created.close().catch(() => undefined);
    await steward.stop();
  });

  it('batches by size: 7 events with maxBatchSize 3 go out as 3 + 3 + 1, to the workspace route with the API key', async () => {
    const usage = client({ maxBatchSize: 3 });
    for (let index = 0; index < 7; index++) usage.record({ ...call, model: `m-${index}` });
    const result = await usage.flush();
    expect(result).toEqual({ accepted: 7, rejected: 0, pending: 0 });
    expect(steward.received.map((request) => request.events.length)).toEqual([3, 3, 1]);
    expect(steward.received.flatMap((request) => request.events.map((event) => event.model))).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6']);
    expect(steward.received[0]?.path).toBe('/v1/workspaces/ws_1/usage');
    expect(steward.received[0]?.headers.authorization).toBe('Bearer stw_test');
    expect(steward.received[0]?.events[0]).toMatchObject({ source: 'unit-agent', id: expect.any(String), time: expect.any(String) });
  });

  it('batches by time: recorded events go out on their own after flushIntervalMs, without a flush call', async () => {
    const usage = client({ flushIntervalMs: 20 });
    usage.record(call);
    usage.record(call);
    await steward.requests(1);
    expect(steward.received[0]?.events).toHaveLength(2);
  });

  it('retries a 429 honouring Retry-After, then 5xx and a dropped connection, with the same event ids and Idempotency-Key', async () => {
    steward.answer(status(429, { 'retry-after': '3' }), status(503), dropConnection, status(500));
    const usage = client();
    const ids = [usage.record(call), usage.record({ ...call, id: 'provider-response-42' })];
    const result = await usage.flush();
    expect(result).toEqual({ accepted: 2, rejected: 0, pending: 0 });
    expect(steward.received).toHaveLength(5);
    for (const request of steward.received) expect(request.events.map((event) => event.id)).toEqual(ids);
    expect(new Set(steward.received.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(ids[1]).toBe('provider-response-42');
    // the 429 said 3 s: the first wait is at least that; the next ones are full-jitter backoff (random 0.5 of 250 · 2^n)
    expect(waits).toEqual([3000, 250, 500, 1000]);
  });

  it('never retries another 4xx: the batch is dropped and reported', async () => {
    steward.answer(status(400));
    const usage = client();
    usage.record(call);
    expect(await usage.flush()).toEqual({ accepted: 0, rejected: 1, pending: 0 });
    expect(steward.received).toHaveLength(1);
    expect(errors.map((error) => [error.code, error.status, error.events.length])).toEqual([[UsageDeliveryErrorCode.Refused, 400, 1]]);
  });

  it('reports the items a 202 rejected', async () => {
    steward.answer((request, response) => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ batchId: 'b', accepted: 1, rejected: 1, errors: [{ index: 1, field: 'body.events.1.model', reason: 'too long' }] }));
    });
    const usage = client();
    usage.record(call);
    const second = usage.record({ ...call, model: 'x' });
    expect(await usage.flush()).toEqual({ accepted: 1, rejected: 1, pending: 0 });
    expect(errors[0]).toMatchObject({ code: UsageDeliveryErrorCode.ItemsRejected, itemErrors: [{ index: 1, field: 'body.events.1.model' }] });
    expect(errors[0]?.events.map((event) => event.id)).toEqual([second]);
  });

  it('when retries run out the events stay queued and the next flush sends them again with the same ids', async () => {
    steward.answer(status(503), status(503));
    const usage = client({ maxRetries: 1 });
    const id = usage.record(call);
    expect(await usage.flush()).toEqual({ accepted: 0, rejected: 0, pending: 1 });
    expect(errors[0]?.code).toBe(UsageDeliveryErrorCode.RetriesExhausted);
    expect(await usage.flush()).toEqual({ accepted: 1, rejected: 0, pending: 0 });
    expect(steward.received.map((request) => request.events[0]?.id)).toEqual([id, id, id]);
  });

  it('close() flushes what is queued, then refuses new records', async () => {
    const usage = client({ maxBatchSize: 100 });
    for (let index = 0; index < 5; index++) usage.record(call);
    expect(steward.received).toHaveLength(0);
    expect(await usage.close()).toEqual({ accepted: 5, rejected: 0, pending: 0 });
    expect(steward.received.map((request) => request.events.length)).toEqual([5]);
    expect(() => usage.record(call)).toThrow(UsageClientClosedError);
  });

  it('backoff helpers: full jitter under a doubling ceiling, Retry-After as seconds or an HTTP date', () => {
    expect(fullJitterDelay(0, 100, 1000, () => 0.999)).toBe(99);
    expect(fullJitterDelay(10, 100, 1000, () => 0.999)).toBe(999);
    expect(fullJitterDelay(3, 100, 1000, () => 0)).toBe(0);
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
