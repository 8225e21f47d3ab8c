/**
 * What the usage ingest end-to-end tests share: usage events, counting what
 * the store recorded, the ingest backlog, and a gateway process of one's own
 * (to kill -9 it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { usageIngestNames } from '@steward/messaging';
import { type Stack, freePort, waitFor } from '@steward/testing';
import type pg from 'pg';

const ROOT = join(__dirname, '..', '..');

export interface UsageItem {
  readonly id: string;
  readonly source: string;
  readonly time: string;
  readonly agent: string;
  readonly provider: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly responseTimeMs: number;
}

export function usageItem(id: string, source: string, time = new Date().toISOString()): UsageItem {
  return { id, source, time, agent: 'e2e-agent', provider: 'openai', model: 'gpt-4o', inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 200, responseTimeMs: 640 };
}

/** UsageRecorded events in the store for this workspace and source (optionally one usage id). */
export async function recordedCount(pool: pg.Pool, workspaceId: string, source: string, usageId?: string): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(
    `SELECT count(*)::text AS count FROM steward_events.events
      WHERE event_type = 'UsageRecorded' AND data->>'workspaceId' = $1 AND data->>'source' = $2 AND ($3::text IS NULL OR data->>'usageId' = $3)`,
    [workspaceId, source, usageId ?? null],
  );
  return Number(rows[0]?.count ?? 0);
}

/** Batches published and not yet metered (the work-queue stream removes what metering acknowledged). */
export async function ingestBacklog(jsm: JetStreamManager, natsPrefix: string): Promise<number> {
  const info = await jsm.streams.info(usageIngestNames(natsPrefix).stream);
  return info.state.messages;
}

/** Waits until metering has taken every published batch, then until `count` events of the source are recorded. */
export async function waitForRecorded(pool: pg.Pool, jsm: JetStreamManager, natsPrefix: string, workspaceId: string, source: string, count: number): Promise<void> {
  await waitFor(
    `${count} UsageRecorded of source ${source}`,
    async () => ((await ingestBacklog(jsm, natsPrefix)) === 0 && (await recordedCount(pool, workspaceId, source)) >= count ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

export interface OwnGateway {
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
}

/** One more gateway process over the stack's infrastructure, on its own port. */
export async function startOwnGateway(stack: Stack): Promise<OwnGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'services/gateway/src/main.ts')], {
    cwd: ROOT,
    env: { ...stack.childEnv, PORT: String(port), STEWARD_PROCESS: 'gateway-e2e' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the extra gateway to answer /readyz',
    async () => {
      if (child.exitCode !== null) throw new Error(`the extra gateway exited: ${output}`);
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      return response.ok ? true : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  return { url, process: child, output: () => output };
}
