import { EventEmitter } from 'node:events';
import type { Logger } from './logger';
import type { OpsServer } from './ops-server';
import { runService } from './service-process';
import type { Telemetry } from './telemetry';

function harness() {
  const calls: string[] = [];
  const logger = {
    info: (...args: unknown[]) => calls.push(`log:${String(args.at(-1))}`),
    error: (...args: unknown[]) => calls.push(`error:${String(args.at(-1))}`),
  } as unknown as Logger;
  const telemetry = { shutdown: async () => void calls.push('telemetry.shutdown') } as unknown as Telemetry;
  const ops: OpsServer = {
    url: undefined,
    ready: () => void calls.push('ops.ready'),
    stopping: () => void calls.push('ops.stopping'),
    close: async () => void calls.push('ops.close'),
  };
  const signals = new EventEmitter();
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => (exited = resolve));
  return { calls, logger, telemetry, ops, signals, exit, options: { logger, telemetry, signals, exit: (code: number) => exited(code) } };
}

describe('runService', () => {
  it('logs started and turns ready, then at SIGTERM stops each step in order and exits 0', async () => {
    const h = harness();
    await runService('demo', async () => ({ ops: h.ops, stop: [() => void h.calls.push('consumer'), async () => void h.calls.push('pool')] }), h.options);
    expect(h.calls).toEqual(['log:demo started', 'ops.ready']);
    h.signals.emit('SIGTERM', 'SIGTERM');
    h.signals.emit('SIGINT', 'SIGINT');
    await expect(h.exit).resolves.toBe(0);
    expect(h.calls).toEqual(['log:demo started', 'ops.ready', 'log:demo stopping', 'ops.stopping', 'consumer', 'pool', 'ops.close', 'log:demo stopped', 'telemetry.shutdown']);
  });

  it('exits 1 when a stop step fails, without running the steps after it', async () => {
    const h = harness();
    const failing = async (): Promise<void> => {
      throw new Error('pool stuck');
    };
    await runService('demo', async () => ({ ops: h.ops, stop: [failing, () => void h.calls.push('after')] }), h.options);
    h.signals.emit('SIGINT', 'SIGINT');
    await expect(h.exit).resolves.toBe(1);
    expect(h.calls).not.toContain('after');
    expect(h.calls).toContain('error:demo did not stop cleanly');
  });

  it('exits 1 when the start fails, and never turns ready', async () => {
    const h = harness();
    const printed = jest.spyOn(console, 'error').mockImplementation(() => {});
    await runService('demo', async () => {
      throw new Error('no database');
    }, h.options);
    await expect(h.exit).resolves.toBe(1);
    expect(h.calls).not.toContain('ops.ready');
    expect(printed).toHaveBeenCalledWith('demo failed to start:', expect.objectContaining({ message: 'no database' }));
    printed.mockRestore();
  });
});
