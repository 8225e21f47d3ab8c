import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRoundRobin } from './round-robin';

async function backend(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.setHeader('connection', 'close');
    response.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('startRoundRobin (local TCP)', () => {
  it('hands connections to each backend in turn, passes over one that refuses, and refuses only when all do', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const proxy = await startRoundRobin([a.url, b.url]);
    try {
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) answers.push(await (await fetch(proxy.url, { headers: { connection: 'close' } })).text());
      expect(answers).toEqual(['a', 'b', 'a', 'b']);

      await new Promise((resolve) => a.server.close(resolve));
      const afterA: string[] = [];
      for (let i = 0; i < 3; i++) afterA.push(await (await fetch(proxy.url, { headers: { connection: 'close' } })).text());
      expect(afterA).toEqual(['b', 'b', 'b']);
      expect(proxy.connections).toEqual({ [a.url]: 2, [b.url]: 5 });

      await new Promise((resolve) => b.server.close(resolve));
      await expect(fetch(proxy.url, { headers: { connection: 'close' } })).rejects.toThrow();
      expect(proxy.refused).toBe(1);
    } finally {
      await proxy.close();
      a.server.close();
      b.server.close();
    }
  });
});
