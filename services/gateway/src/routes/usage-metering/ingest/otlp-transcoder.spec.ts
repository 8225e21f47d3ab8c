import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { otlpTranscoder } from './otlp-transcoder';

/** The transcoder alone in front of a listener that echoes what reached it. */
describe('otlpTranscoder', () => {
  const limit = 64 * 1024;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer(
      otlpTranscoder((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ received: Buffer.concat(chunks).toString('utf8') }));
        });
      }, limit),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (body: Buffer): Promise<Response> =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: new Uint8Array(body) });

  it('hands a gzip body within the limit on as JSON', async () => {
    const answer = await post(gzipSync(Buffer.from('{"resourceSpans":[]}')));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: '{"resourceSpans":[]}' });
  });

  it('answers 413 naming the body for a small gzip body that inflates past the limit (not a 400 "not gzip")', async () => {
    const bomb = gzipSync(Buffer.alloc(limit * 16, 0x20));
    expect(bomb.length).toBeLessThan(limit);
    const answer = await post(bomb);
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await answer.json()) as { errors: Array<{ field: string }> };
    expect(problem.errors.map((error) => error.field)).toEqual(['body']);
  });

  it('still answers 400 for a body that is not gzip at all', async () => {
    const answer = await post(Buffer.from('not gzip'));
    expect(answer.status).toBe(400);
  });
});
