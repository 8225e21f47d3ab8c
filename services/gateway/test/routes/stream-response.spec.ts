import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendStream } from '../../src/request-pipeline';

/** One server per test: its handler streams what the test gives it. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('sendStream (RouteResponse.stream)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  let url: string;

  it('writes the status, the headers and every chunk', async () => {
    async function* lines(): AsyncGenerator<string> {
      yield 'a,b\r\n';
      for (let i = 0; i < 1000; i += 1) yield `${i},${'x'.repeat(100)}\r\n`;
    }
    ({ server, url } = await serve((_req, res) => void sendStream(res, 200, { 'content-type': 'text/csv' }, lines())));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv');
    const text = await response.text();
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(1001);
  });

  it('rejects before sending anything when the first chunk fails (the caller answers a problem)', async () => {
    let failure: unknown;
    const broken = (): AsyncIterable<string> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('bad filter')) }),
    });
    ({ server, url } = await serve((_req, res) => {
      sendStream(res, 200, { 'content-type': 'text/csv' }, broken()).catch((error: unknown) => {
        failure = error;
        expect(res.headersSent).toBe(false);
        res.statusCode = 400;
        res.end('problem');
      });
    }));
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(String(failure)).toContain('bad filter');
  });

  it('aborts the response when a later chunk fails', async () => {
    async function* failsLater(): AsyncGenerator<string> {
      yield 'first\r\n';
      throw new Error('database went away');
    }
    ({ server, url } = await serve((_req, res) => void sendStream(res, 200, { 'content-type': 'text/csv' }, failsLater())));
    // never a complete answer: the connection is cut (before or after the headers arrive)
    await expect(fetch(url).then((response) => response.text())).rejects.toThrow();
  });

  it('stops reading when the client goes away', async () => {
    let finished!: () => void;
    const stopped = new Promise<void>((resolve) => (finished = resolve));
    async function* endless(): AsyncGenerator<string> {
      try {
        for (;;) yield `${'y'.repeat(16 * 1024)}\r\n`;
      } finally {
        finished();
      }
    }
    ({ server, url } = await serve((_req, res) => void sendStream(res, 200, { 'content-type': 'text/csv' }, endless())));
    const request = httpRequest(url, (response) => {
      response.once('data', () => request.destroy());
    });
    request.on('error', () => undefined);
    request.end();
    await stopped;
  });
});
