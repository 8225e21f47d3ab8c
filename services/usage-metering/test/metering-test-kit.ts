import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { UsageEventInput, UsageIngestBatchInput, UsageIngestPath } from '@steward/contracts';
import { usageIngestNames, type NatsClients } from '@steward/messaging';
import type pg from 'pg';

/** Helpers shared by usage-metering's integration and fault tests. */

export function usageEvent(overrides: Partial<UsageEventInput> = {}): UsageEventInput {
  return {
    id: randomUUID(),
    source: 'agent-sdk',
    time: '2026-03-01T10:00:00.000Z',
    agent: 'support-bot',
    provider: 'openai',
    model: 'gpt-4o',
    inputTokens: 1000,
    cacheReadInputTokens: 400,
    outputTokens: 500,
    responseTimeMs: 850,
    ...overrides,
  };
}

export function ingestBatch(workspaceId: string, events: UsageEventInput[], overrides: Partial<UsageIngestBatchInput> = {}): UsageIngestBatchInput {
  return {
    batchId: randomUUID(),
    workspaceId,
    organizationId: 'org-1',
    receivedAt: '2026-03-01T10:00:01.000Z',
    via: 'nats' as UsageIngestPath,
    actor: 'service:test-agent',
    events,
    ...overrides,
  };
}

/** Publishes a batch on `<p>usage.ingest.<workspaceId>` as the gateway does (Nats-Msg-Id = batch id). */
export async function publishBatch(
  nats: NatsClients,
  prefix: string,
  batch: UsageIngestBatchInput | string,
  options: { workspaceId?: string; traceparent?: string } = {},
): Promise<void> {
  const subject = usageIngestNames(prefix).workspaceSubject(typeof batch === 'string' ? (options.workspaceId ?? 'ws-x') : batch.workspaceId);
  const headers = natsHeaders();
  if (options.traceparent) headers.set('traceparent', options.traceparent);
  await nats.js.publish(subject, typeof batch === 'string' ? batch : JSON.stringify(batch), {
    ...(typeof batch === 'string' ? {} : { msgID: batch.batchId }),
    headers,
  });
}

/** Resolves once the ingest stream holds nothing: every batch was acked (metered) or terminated (dead-lettered). */
export async function ingestDrained(nats: NatsClients, prefix: string): Promise<true | undefined> {
  const info = await nats.jsm.streams.info(usageIngestNames(prefix).stream);
  return info.state.messages === 0 ? true : undefined;
}

export interface RecordedRow {
  event_id: string;
  stream_id: string;
  data: Record<string, unknown> & { cost: string; usageId: string; pricing: { status: string; source?: string; ref?: string } };
  metadata: Record<string, unknown>;
}

export async function recordedRows(pool: pg.Pool, schema: string, workspaceId?: string): Promise<RecordedRow[]> {
  const { rows } = await pool.query<RecordedRow>(
    `SELECT event_id::text, stream_id, data, metadata FROM "${schema}".events
      WHERE event_type = 'UsageRecorded' AND ($1::text IS NULL OR data->>'workspaceId' = $1) ORDER BY global_position`,
    [workspaceId ?? null],
  );
  return rows;
}
