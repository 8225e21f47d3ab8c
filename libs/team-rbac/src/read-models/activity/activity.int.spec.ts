import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import type { Actor, TeamEventOf, TeamEventType } from '@steward/contracts';
import { TeamStreams } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { connectNats, ensureStreams, natsNames, type DurableConsumer, type NatsClients } from '@steward/messaging';
import { ProjectionHost } from '@steward/projections';
import { createTestEnv, waitFor, type TestEnv } from '@steward/testing';
import { ActivityReadRecorder, runActivityReadConsumer } from './activity-read.recorder';
import { RESOURCE_READS, activityReadsSubject, activityStreamName, decodeResourceReads, ensureActivityStream, publishActivityRead, resourceRead, type ResourceRead } from './activity.contract';
import { activityProjection } from './activity.projection';
import { ActivityRepository, type ActivityEntry } from './activity.repository';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const user = (id: string): Actor => ({ type: 'user', id });

/** Parses RFC 4180 text (quoted fields with CR, LF, commas and doubled quotes). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}

describe('activity log (PostgreSQL, NATS)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let host: ProjectionHost;
  let db: Kysely<unknown>;
  let repository: ActivityRepository;
  let recorder: ActivityReadRecorder;
  let nats: NatsClients;
  let consumer: DurableConsumer<ResourceRead[]> | undefined;

  async function appendTeam<T extends TeamEventType>(
    streamId: string,
    type: T,
    data: TeamEventOf<T>['data'],
    meta: { actor: Actor; occurredAt: string; organizationId: string; workspaceId?: string },
  ): Promise<string> {
    const eventId = randomUUID();
    await store.append(
      streamId,
      [{ eventId, type, version: 1, data, metadata: { correlationId: eventId, ...meta } }],
      { expectedRevision: 'any' },
    );
    lastStream = streamId;
    return eventId;
  }

  let lastStream: string | undefined;

  /**
   * Waits until the projection has applied the last appended event. Not
   * `store.headPosition()`: that stops below any open transaction (the
   * projection's own batch), so it can lag behind a committed event.
   */
  async function caughtUp(): Promise<void> {
    if (!lastStream) return;
    const [last] = await store.readStream(lastStream, { direction: 'backwards', maxCount: 1 });
    await host.runner('activity').waitForPosition(last!.position);
  }

  async function renames(organizationId: string, workspaceId: string, count: number, start: number, actor = user('u-1')): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(
        await appendTeam(
          TeamStreams.workspace(workspaceId),
          'WorkspaceRenamed',
          { organizationId, workspaceId, name: `Name ${start + i}`, previousName: `Name ${start + i - 1}` },
          { actor, occurredAt: at(start + i), organizationId, workspaceId },
        ),
      );
    }
    return ids;
  }

  async function allPages(organizationId: string, limit: number, between?: (page: number) => Promise<void>): Promise<ActivityEntry[]> {
    const seen: ActivityEntry[] = [];
    let cursor: string | undefined;
    let page = 0;
    do {
      const result = await repository.listActivity(organizationId, { limit, ...(cursor ? { cursor } : {}) });
      seen.push(...result.items);
      cursor = result.nextCursor ?? undefined;
      if (between) await between(page++);
    } while (cursor);
    return seen;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool, schema: 'activity_events' });
    await store.migrate();
    host = new ProjectionHost({ pool: env.pool, store, projections: [activityProjection], meter: false, lockPollIntervalMs: 100, retryDelayMs: 50 });
    await host.start();
    db = new Kysely({ dialect: new PostgresDialect({ pool: env.pool }) });
    repository = new ActivityRepository({ db });
    recorder = new ActivityReadRecorder({ db });
    await recorder.migrate();
    nats = await connectNats({ servers: env.natsUrl, name: 'activity-test' });
  });

  afterAll(async () => {
    await consumer?.stop();
    await nats?.close();
    await host?.stop();
    await store?.close();
    await env?.dispose();
  });

  it('filters by resource type, action, actor, outcome, time range and free text, within the organization only', async () => {
    const org = `org-${randomUUID()}`;
    const ws = `ws-${randomUUID()}`;
    const other = `org-${randomUUID()}`;
    await renames(org, ws, 3, 0, user('u-ann'));
    const keyId = `key-${randomUUID()}`;
    await appendTeam(
      TeamStreams.apiKey(keyId),
      'ApiKeyRevoked',
      { organizationId: org, workspaceId: ws, apiKeyId: keyId, revokedBy: 'u-ben', revokedAt: at(10) },
      { actor: user('u-ben'), occurredAt: at(10), organizationId: org, workspaceId: ws },
    );
    // Owner seats accompany member events: the log leaves them out.
    await appendTeam(
      TeamStreams.organization(org),
      'OrganizationOwnerAdded',
      { organizationId: org, workspaceId: ws, userId: 'u-ann' },
      { actor: user('u-ann'), occurredAt: at(11), organizationId: org, workspaceId: ws },
    );
    await renames(other, `ws-${randomUUID()}`, 2, 0, user('u-ann'));
    await caughtUp();
    await recorder.record(resourceRead({ organizationId: org, workspaceId: ws, resourceType: 'member', action: 'fetch_all', outcome: 'success', actor: user('u-ben'), occurredAt: at(20) }));
    await recorder.record(
      resourceRead({ organizationId: org, workspaceId: ws, resourceType: 'api_key', action: 'fetch', resourceId: 'key-missing', outcome: 'failure', actor: { type: 'api_key', id: 'k-9' }, occurredAt: at(21) }),
    );

    const all = await repository.listActivity(org);
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((e) => [e.resourceType, e.action, e.source])).toEqual([
      ['api_key', 'fetch', 'read'],
      ['member', 'fetch_all', 'read'],
      ['api_key', 'delete', 'event'],
      ['workspace', 'update', 'event'],
      ['workspace', 'update', 'event'],
      ['workspace', 'update', 'event'],
    ]);
    expect(all.items[0]).toMatchObject({ summary: 'Fetched api_key key-missing (failed)', outcome: 'failure', actor: { type: 'api_key', id: 'k-9' }, occurredAt: '2026-03-01T12:21:00.000000Z' });
    expect(all.items[1]!.summary).toBe('Listed member');
    const ids = async (filters: Parameters<ActivityRepository['listActivity']>[1]): Promise<string[]> =>
      (await repository.listActivity(org, filters)).items.map((e) => `${e.resourceType}:${e.action}`);
    expect(await ids({ resourceType: 'workspace' })).toEqual(['workspace:update', 'workspace:update', 'workspace:update']);
    expect(await ids({ action: 'delete' })).toEqual(['api_key:delete']);
    expect(await ids({ actor: 'u-ben' })).toEqual(['member:fetch_all', 'api_key:delete']);
    expect(await ids({ actorType: 'api_key' })).toEqual(['api_key:fetch']);
    expect(await ids({ outcome: 'failure' })).toEqual(['api_key:fetch']);
    expect(await ids({ from: at(1), to: at(10) })).toEqual(['workspace:update', 'workspace:update']);
    expect(await ids({ from: new Date(at(10)), to: at(21) })).toEqual(['member:fetch_all', 'api_key:delete']);
    expect(await ids({ search: 'NAME 2' })).toEqual(['workspace:update']);
    expect(await ids({ search: keyId })).toEqual(['api_key:delete']);
    expect(await ids({ search: 'k-9' })).toEqual(['api_key:fetch']);
    expect(await ids({ search: '%' })).toEqual([]);
    expect(await ids({ search: 'y_m' })).toEqual([]); // '_' is literal, not any character ('key-missing')
    expect((await repository.listActivity(other)).items).toHaveLength(2);
    expect((await repository.recentActivity(org, 2)).map((e) => e.action)).toEqual(['fetch', 'fetch_all']);
    await expect(repository.listActivity(org, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(repository.listActivity(org, { from: 'yesterday' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(repository.listActivity(org, { cursor: Buffer.from('["x","y"]').toString('base64url') })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    // a cursor of the right shape whose time PostgreSQL refuses is the client's mistake, not a failed query
    for (const at of ['0000-01-01T00:00:00.000000Z', '2026-99-99T99:99:99.000000Z', '2026-02-30T00:00:00.000000Z']) {
      const crafted = Buffer.from(JSON.stringify([at, 'a37b77f9-860f-49e1-97c9-67c31fe5303e'])).toString('base64url');
      await expect(repository.listActivity(org, { cursor: crafted })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    }
  });

  it('pages with a cursor without duplicates or gaps while entries keep arriving', async () => {
    const org = `org-${randomUUID()}`;
    const ws = `ws-${randomUUID()}`;
    await renames(org, ws, 30, 0);
    // Reads at the same instants as the events, and several at one instant: ties break on the id.
    for (let i = 0; i < 30; i++) {
      await recorder.record(resourceRead({ organizationId: org, resourceType: 'workspace', action: 'fetch', resourceId: ws, outcome: 'success', actor: user('u-2'), occurredAt: at(i % 10) }));
    }
    await caughtUp();
    const before = (await repository.listActivity(org, { limit: 200 })).items.map((e) => e.id);
    expect(before).toHaveLength(60);

    let arrivals = 0;
    const paged = await allPages(org, 7, async () => {
      // Newer entries (both kinds) land while paging.
      await renames(org, ws, 1, 1000 + arrivals);
      await recorder.record(resourceRead({ organizationId: org, resourceType: 'workspace', action: 'fetch_all', outcome: 'success', actor: user('u-3'), occurredAt: at(1000 + arrivals) }));
      arrivals++;
    });
    await caughtUp();
    const pagedIds = paged.map((e) => e.id);
    expect(new Set(pagedIds).size).toBe(pagedIds.length);
    expect(pagedIds).toEqual(before);
    for (let i = 1; i < paged.length; i++) {
      const [a, b] = [paged[i - 1]!, paged[i]!];
      expect(a.occurredAt > b.occurredAt || (a.occurredAt === b.occurredAt && a.id > b.id)).toBe(true);
    }
    expect((await repository.listActivity(org, { limit: 200 })).items).toHaveLength(60 + 2 * arrivals);
  });

  it('exports CSV page by page, RFC 4180 quoted and safe from formula injection', async () => {
    const org = `org-${randomUUID()}`;
    const nasty = [
      { resourceId: '=HYPERLINK("http://evil","x")', summary: 'comma, "quote"\nand newline' },
      { resourceId: '+1', summary: '-2' },
      { resourceId: '@SUM(A1)', summary: 'plain' },
    ];
    for (const [i, fields] of nasty.entries()) {
      await recorder.record(resourceRead({ organizationId: org, resourceType: 'member', action: 'fetch', outcome: 'success', actor: user('=cmd'), occurredAt: at(i), ...fields }));
    }
    await recorder.record(resourceRead({ organizationId: `org-${randomUUID()}`, resourceType: 'member', action: 'fetch_all', outcome: 'success', actor: user('u-x'), occurredAt: at(5) }));
    const lines: string[] = [];
    for await (const line of repository.streamActivityCsv(org, {}, { pageSize: 2 })) lines.push(line);
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.endsWith('\r\n'))).toBe(true);
    const records = parseCsv(lines.join(''));
    expect(records[0]).toEqual(['occurred_at', 'resource_type', 'action', 'resource_id', 'actor_type', 'actor_id', 'outcome', 'summary', 'workspace_id', 'id']);
    expect(records.slice(1).map((r) => [r[3], r[5], r[7]])).toEqual([
      ["'@SUM(A1)", "'=cmd", 'plain'],
      ["'+1", "'=cmd", "'-2"],
      ['\'=HYPERLINK("http://evil","x")', "'=cmd", 'comma, "quote"\nand newline'],
    ]);
    expect(records.slice(1).every((r) => r.length === 10 && r[0] !== undefined && /^\d{4}-/.test(r[0]))).toBe(true);
    const filtered: string[] = [];
    for await (const line of repository.streamActivityCsv(org, { search: 'plain' })) filtered.push(line);
    expect(filtered).toHaveLength(2);
  });

  it('records reads published on NATS once, even when delivered twice, and dead-letters a malformed one', async () => {
    const org = `org-${randomUUID()}`;
    // The platform's streams (the dead-letter one) exist wherever consumers run.
    await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
    await ensureActivityStream(nats.jsm, env.natsPrefix);
    consumer = await runActivityReadConsumer({ js: nats.js, jsm: nats.jsm, prefix: env.natsPrefix, recorder, backoffMs: [50] });
    const { entry } = await publishActivityRead(nats.js, env.natsPrefix, {
      organizationId: org,
      workspaceId: 'ws-1',
      resourceType: 'member',
      action: 'fetch',
      resourceId: 'u-9',
      outcome: 'success',
      actor: user('u-reader'),
    });
    // The same entry again under another message id: JetStream keeps both, the recorder one.
    await nats.js.publish(activityReadsSubject(env.natsPrefix), JSON.stringify(entry), { msgID: randomUUID() });
    await nats.js.publish(activityReadsSubject(env.natsPrefix), JSON.stringify({ ...entry, id: 'not-a-uuid' }), { msgID: randomUUID() });
    const second = await publishActivityRead(nats.js, env.natsPrefix, { organizationId: org, resourceType: 'member', action: 'fetch_all', outcome: 'success', actor: user('u-reader') });
    await waitFor('both reads recorded', async () => ((await repository.listActivity(org)).items.length === 2 ? true : undefined), { timeoutMs: 10_000 });
    // Let any redelivery land before counting.
    const info = await waitFor(
      'the consumer to settle every message',
      async () => {
        const state = await nats.jsm.consumers.info(natsNames(env.natsPrefix).stream('activity'), 'activity-reads');
        return state.num_pending === 0 && state.num_ack_pending === 0 ? state : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(info.delivered.stream_seq).toBe(4);
    const items = (await repository.listActivity(org)).items;
    expect(items.map((e) => e.id).sort()).toEqual([entry.id, second.entry.id].sort());
    expect(items.find((e) => e.id === entry.id)).toMatchObject({ resourceType: 'member', action: 'fetch', resourceId: 'u-9', source: 'read', workspaceId: 'ws-1' });
    expect(await recorder.record(entry)).toBe(false);
    await expect(recorder.record({ ...entry, action: 'delete' })).rejects.toMatchObject({ code: 'INVALID_ENTRY' });
    const dead = await nats.jsm.streams.info(natsNames(env.natsPrefix).deadLetterStream);
    expect(dead.state.messages).toBe(1);
  });

  it('records batch messages (the gateway publishes rounds so): every read once, across batches and single messages', async () => {
    const org = `org-${randomUUID()}`;
    await ensureActivityStream(nats.jsm, env.natsPrefix);
    consumer ??= await runActivityReadConsumer({ js: nats.js, jsm: nats.jsm, prefix: env.natsPrefix, recorder, backoffMs: [50] });
    const reads = Array.from({ length: 30 }, (_, i) =>
      resourceRead({ organizationId: org, resourceType: 'member', action: 'fetch', resourceId: `u-${i}`, outcome: 'success', actor: user('u-batch'), occurredAt: at(i) }),
    );
    const subject = activityReadsSubject(env.natsPrefix);
    await nats.js.publish(subject, JSON.stringify({ type: RESOURCE_READS, reads: reads.slice(0, 20) }), { msgID: randomUUID() });
    // overlapping batch (10–29) and one of them alone: each read recorded once
    await nats.js.publish(subject, JSON.stringify({ type: RESOURCE_READS, reads: reads.slice(10) }), { msgID: randomUUID() });
    await nats.js.publish(subject, JSON.stringify(reads[25]), { msgID: randomUUID() });
    await waitFor('30 reads recorded', async () => ((await repository.listActivity(org, { limit: 200 })).items.length === 30 ? true : undefined), { timeoutMs: 10_000 });
    await waitFor(
      'the consumer to settle every message',
      async () => {
        const state = await nats.jsm.consumers.info(natsNames(env.natsPrefix).stream('activity'), 'activity-reads');
        return state.num_pending === 0 && state.num_ack_pending === 0 ? state : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const items = (await repository.listActivity(org, { limit: 200 })).items;
    expect(items.map((entry) => entry.id).sort()).toEqual(reads.map((entry) => entry.id).sort());
    // a batch is decoded whole: one malformed read refuses the message (the gateway validates each read before publishing)
    expect(decodeResourceReads({ type: RESOURCE_READS, reads: [reads[0], { ...reads[1], action: 'delete' }] })).toEqual({ ok: false, field: 'reads.1.action' });
    expect(decodeResourceReads({ type: RESOURCE_READS, reads: [] })).toMatchObject({ ok: false });
  });

  it('records many reads with one statement, once per id, keeping optional fields and the time', async () => {
    const org = `org-${randomUUID()}`;
    const first = resourceRead({ organizationId: org, workspaceId: 'ws-2', resourceType: 'member', action: 'fetch', resourceId: 'u-1', outcome: 'failure', actor: user('u-a'), occurredAt: at(1), summary: 'custom' });
    const second = resourceRead({ organizationId: org, resourceType: 'workspace', action: 'fetch_all', outcome: 'success', actor: user('u-b'), occurredAt: at(2) });
    expect(await recorder.recordMany([first])).toBe(1);
    expect(await recorder.recordMany([first, second, second])).toBe(1);
    expect(await recorder.recordMany([])).toBe(0);
    const items = (await repository.listActivity(org)).items;
    expect(items).toHaveLength(2);
    expect(items.find((e) => e.id === first.id)).toMatchObject({ workspaceId: 'ws-2', resourceId: 'u-1', outcome: 'failure', summary: 'custom', source: 'read' });
    expect(items.find((e) => e.id === second.id)).toMatchObject({ workspaceId: null, resourceId: null, summary: 'Listed workspace', source: 'read' });
    expect(new Date(String(items.find((e) => e.id === second.id)!.occurredAt)).toISOString()).toBe(at(2));
  });

  it('records 1,000 reads published at once exactly once each, in batches, dead-lettering a malformed one alone', async () => {
    const org = `org-${randomUUID()}`;
    const durable = 'activity-reads-bulk';
    await ensureStreams(nats.jsm, { prefix: env.natsPrefix });
    await ensureActivityStream(nats.jsm, env.natsPrefix);
    const batchSizes: number[] = [];
    class CountingRecorder extends ActivityReadRecorder {
      override async recordMany(entries: readonly ResourceRead[]): Promise<number> {
        // This durable also replays the other tests' reads: count this test's only.
        const ours = entries.filter((e) => e.organizationId === org).length;
        if (ours > 0) batchSizes.push(ours);
        return super.recordMany(entries);
      }
    }
    const bulk = await runActivityReadConsumer({ js: nats.js, jsm: nats.jsm, prefix: env.natsPrefix, durable, recorder: new CountingRecorder({ db }), backoffMs: [50] });
    try {
      const subject = activityReadsSubject(env.natsPrefix);
      const entries = Array.from({ length: 1000 }, (_, i) =>
        resourceRead({ organizationId: org, resourceType: 'member', action: 'fetch', resourceId: `u-${i}`, outcome: 'success', actor: user('u-reader'), occurredAt: at(i) }),
      );
      const publishes: Promise<unknown>[] = entries.map((entry) => nats.js.publish(subject, JSON.stringify(entry), { msgID: entry.id }));
      // 100 published twice under other message ids (JetStream keeps both), 50 under the same one (JetStream drops them).
      for (const entry of entries.slice(0, 100)) publishes.push(nats.js.publish(subject, JSON.stringify(entry), { msgID: randomUUID() }));
      for (const entry of entries.slice(500, 550)) publishes.push(nats.js.publish(subject, JSON.stringify(entry), { msgID: entry.id }));
      const malformed = { ...entries[0]!, id: randomUUID(), action: 'delete' };
      publishes.splice(600, 0, nats.js.publish(subject, JSON.stringify(malformed), { msgID: malformed.id }));
      await Promise.all(publishes);

      const countRows = async (): Promise<number> => {
        const { rows } = await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM activity_reads.activity_entries WHERE organization_id = $1', [org]);
        return Number(rows[0]!.n);
      };
      await waitFor('1,000 reads recorded', async () => ((await countRows()) === 1000 ? true : undefined), { timeoutMs: 20_000 });
      await waitFor(
        'the consumer to settle every message',
        async () => {
          const state = await nats.jsm.consumers.info(activityStreamName(env.natsPrefix), durable);
          return state.num_pending === 0 && state.num_ack_pending === 0 ? state : undefined;
        },
        { timeoutMs: 10_000 },
      );
      expect(await countRows()).toBe(1000);
      const { rows } = await env.pool.query<{ id: string }>('SELECT id FROM activity_reads.activity_entries WHERE organization_id = $1', [org]);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(entries.map((e) => e.id)));
      // 1,000 + 100 re-published, nothing retried: far fewer INSERTs than reads.
      expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(1100);
      expect(batchSizes.length).toBeLessThan(100);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(500);

      // Dead letters of this consumer for this organization: just the malformed read.
      const deadSubject = natsNames(env.natsPrefix).deadLetterSubject(durable);
      const reader = await nats.js.consumers.get(natsNames(env.natsPrefix).deadLetterStream, { filter_subjects: deadSubject });
      const pending = (await reader.info()).num_pending;
      const dead: string[] = [];
      let seen = 0;
      if (pending > 0) {
        for await (const msg of await reader.fetch({ max_messages: pending, expires: 2_000 })) {
          const body = msg.json<{ id: string; organizationId: string }>();
          if (body.organizationId === org) dead.push(body.id);
          if (++seen >= pending) break;
        }
      }
      expect(dead).toEqual([malformed.id]);
    } finally {
      await bulk.stop();
    }
  });

  it('keeps gateway reads across a rebuild of the projection', async () => {
    const org = `org-${randomUUID()}`;
    await renames(org, `ws-${randomUUID()}`, 2, 0);
    await recorder.record(resourceRead({ organizationId: org, resourceType: 'workspace', action: 'fetch_all', outcome: 'success', actor: user('u-1'), occurredAt: at(5) }));
    await caughtUp();
    expect((await repository.listActivity(org)).items).toHaveLength(3);
    await host.rebuild('activity', { takeoverTimeoutMs: 20_000 });
    await caughtUp();
    expect((await repository.listActivity(org)).items.map((e) => e.source)).toEqual(['read', 'event', 'event']);
  });
});
