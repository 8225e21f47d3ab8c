import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

describe('StewardUsageClient flushOnExit', () => {
  it('a process that ends on its own delivers what it recorded (beforeExit), then exits', async () => {
    const received: number[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push((JSON.parse(Buffer.concat(chunks).toString()) as { events: unknown[] }).events.length);
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ batchId: 'b', accepted: 2, rejected: 0, errors: [] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', join(__dirname, 'flush-on-exit.child.ts'), url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
      expect(received).toEqual([2]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
