/**
 * A NATS cluster loses nothing. Three local nats-server processes form a
 * JetStream cluster (libs/testing startNatsCluster: routes, a file store each,
 * `sync_interval: always` where the server has it); the whole stack runs
 * against it (NATS_URL lists the three, NATS_STREAM_REPLICAS=3). While usage
 * streams in through the gateway: a node that does not lead the ingest stream
 * is SIGKILLed and restarted, then the stream's leader is SIGKILLed (and
 * restarted). Afterwards every accepted (202) event is in the chargeback
 * exactly once, at its exact price; the answers meanwhile were 202 or 503 with
 * Retry-After, never another 5xx nor a hang; no Steward process died. Last,
 * with two of three nodes down (no quorum) an ingest answers 503 with
 * Retry-After within the publish timeout, and once the nodes are back the
 * same request, resent, is accepted, with nothing touched by an operator.
 * Recovery figures are printed (kill → first accepted batch, → new leader,
 * → chargeback caught up; restart → replica current).
 */
import { performance } from 'node:perf_hooks';
import type { StreamInfo } from '@nats-io/jetstream';
import { UsageEventSchema } from '@steward/contracts';
import { type NatsClients, connectNats, natsNames, usageIngestNames } from '@steward/messaging';
import { activityStreamName } from '@steward/team-rbac';
import { type NatsCluster, type Stack, type TestEnv, createTestEnv, startNatsCluster, startStack, waitFor } from '@steward/testing';
import { Pricer, sumCosts } from '@steward/usage-metering';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';
import { type RecoveryFigure, RetryingWriter, chargebackShows, firstAccepted, msUntil, recordFigures, recoveryTable } from './support/fault-load';

const ROUNDS = Math.max(1, Number(process.env.STEWARD_FAULTS_ROUNDS ?? 1));
jest.setTimeout(300_000 + (ROUNDS - 1) * 120_000);

const BATCH = 25;

describe('Steward on a 3-node NATS JetStream cluster, nodes SIGKILLed under ingest', () => {
  let cluster: NatsCluster;
  let env: TestEnv;
  let stack: Stack;
  let nats: NatsClients;
  let agentToken: string;
  const figures: RecoveryFigure[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    env = await createTestEnv();
    stack = await startStack(env, { env: { NATS_URL: cluster.url, NATS_STREAM_REPLICAS: '3' }, logLevel: 'info', readyTimeoutMs: 150_000 });
    nats = await connectNats({ servers: cluster.url, name: 'nats-cluster-e2e' });
    agentToken = (await new Fixtures(new GatewayClient(stack.url)).issueApiKey(stack.ownerToken, stack.workspaceId, ['usage:write', 'read'], 'cluster agent')).token;
  });

  afterAll(async () => {
    if (figures.length > 0) {
      console.log(recoveryTable(`NATS cluster (nats-server ${cluster.version}, sync_interval: ${cluster.syncAlways ? 'always' : 'not supported by this server'}): recovery after SIGKILL`, figures));
    }
    recordFigures('nats-cluster', figures);
    await stack?.stop();
    await nats?.close();
    await cluster?.close();
    await env?.dispose();
  });

  const ingestStream = (): string => usageIngestNames(env.natsPrefix).stream;

  async function streamInfo(name: string): Promise<StreamInfo> {
    return waitFor(`stream info of ${name}`, () => nats.jsm.streams.info(name), { timeoutMs: 30_000, intervalMs: 100 });
  }

  async function summary(): Promise<{ calls: number; totalCost: string }> {
    const response = await fetch(`${stack.url}/v1/usage/summary?workspaceId=${stack.workspaceId}`, {
      headers: { authorization: `Bearer ${agentToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`summary answered ${response.status}`);
    return (await response.json()) as { calls: number; totalCost: string };
  }

  /** Every replica of the stream, the leader included, is current (the node caught up after its restart). */
  async function allCurrent(name: string): Promise<boolean> {
    const info = await nats.jsm.streams.info(name);
    const replicas = info.cluster?.replicas ?? [];
    return info.cluster?.leader !== undefined && replicas.length === 2 && replicas.every((replica) => replica.current && !replica.offline);
  }

  it("creates every Steward stream at 3 replicas, one on each node", async () => {
    const names = natsNames(env.natsPrefix);
    for (const name of [names.eventsStream, names.deadLetterStream, ingestStream(), activityStreamName(env.natsPrefix)]) {
      const info = await streamInfo(name);
      const nodes = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((replica) => replica.name)].sort();
      expect({ name, replicas: info.config.num_replicas, nodes }).toEqual({ name, replicas: 3, nodes: ['n1', 'n2', 'n3'] });
    }
  });

  it('loses no accepted event and counts none twice through a node crash, a leader crash and a lost quorum', async () => {
    const ws = stack.workspaceId;
    const writer = new RetryingWriter({ url: stack.url, token: agentToken, attemptTimeoutMs: 15_000 });
    const pricer = new Pricer();
    const acceptedCosts = new Map<string, string>();
    const acceptedAt: number[] = [];
    let running = true;
    let sequence = 0;
    const batchOf = (label: string) =>
      Array.from({ length: BATCH }, (_, i) => ({
        id: `${label}-e${i}`,
        source: 'nats-cluster',
        time: new Date().toISOString(),
        provider: 'openai',
        model: i % 2 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
        inputTokens: 900 + i,
        outputTokens: 90 + i,
        cacheReadInputTokens: i * 5,
        responseTimeMs: 250 + i,
      }));
    const send = async (label: string): Promise<void> => {
      const events = batchOf(label);
      const answer = await writer.write<{ accepted: number; rejected: number }>('usage', 'POST', `/v1/workspaces/${ws}/usage`, { events }, label);
      expect(answer.body).toMatchObject({ accepted: BATCH, rejected: 0 });
      for (const event of events) acceptedCosts.set(event.id, pricer.priceFromCatalogue(UsageEventSchema.parse(event)).cost);
      acceptedAt.push(answer.endedAt);
    };
    const loop = async (worker: number): Promise<void> => {
      while (running) await send(`w${worker}-b${sequence++}`);
    };
    const loops = Promise.all([loop(1), loop(2)]);
    loops.catch(() => undefined);
    const moreAccepted = async (what: string, batches: number): Promise<void> => {
      const from = acceptedAt.length;
      await waitFor(what, () => (acceptedAt.length >= from + batches ? true : undefined), { timeoutMs: 90_000 });
    };
    const accepted = (): number => acceptedAt.length * BATCH;

    try {
      await moreAccepted('the load to flow', 4);

      for (let r = 1; r <= ROUNDS; r++) {
        // 1. a node that does not lead the ingest stream: SIGKILL, ingest goes on, restart, it catches up
        const before1 = await streamInfo(ingestStream());
        const follower = cluster.nodes.find((node) => node.name !== before1.cluster?.leader)!;
        const acceptedBefore1 = [...acceptedCosts.keys()];
        const killed1 = performance.now();
        await follower.kill('SIGKILL');
        const [first1, caught1] = await Promise.all([
          firstAccepted([writer], killed1, ['usage'], 60_000),
          msUntil('the chargeback to show what was accepted before the kill', killed1, await chargebackShows(env.pool, ws, acceptedBefore1), 90_000),
        ]);
        figures.push(
          { round: `${r}.1`, kind: 'a follower node', killed: `${follower.name} (follower)`, measure: 'first batch accepted', ms: first1 },
          { round: `${r}.1`, kind: 'a follower node', killed: `${follower.name} (follower)`, measure: 'chargeback shows every call accepted before the kill', ms: caught1 },
        );
        await moreAccepted('ingest with a node down', 4);
        const restarted1 = performance.now();
        follower.start();
        const current1 = await msUntil(`${follower.name} current again`, restarted1, () => allCurrent(ingestStream()), 90_000);
        figures.push({ round: `${r}.1`, kind: 'a follower node', killed: `${follower.name} (follower)`, measure: 'restart → every replica current', ms: current1 });

        // 2. the ingest stream's leader: SIGKILL, a new leader is elected, ingest recovers by itself
        await moreAccepted('ingest with three nodes again', 4);
        const before2 = await streamInfo(ingestStream());
        const leader = cluster.node(before2.cluster!.leader!);
        const acceptedBefore2 = [...acceptedCosts.keys()];
        const killed2 = performance.now();
        await leader.kill('SIGKILL');
        const [elected2, first2, caught2] = await Promise.all([
          msUntil('a new ingest leader', killed2, async () => {
            const info = await nats.jsm.streams.info(ingestStream()).catch(() => undefined);
            const now = info?.cluster?.leader;
            return now !== undefined && now !== leader.name;
          }),
          firstAccepted([writer], killed2, ['usage'], 60_000),
          msUntil('the chargeback to show what was accepted before the kill', killed2, await chargebackShows(env.pool, ws, acceptedBefore2), 90_000),
        ]);
        figures.push(
          { round: `${r}.2`, kind: 'the ingest stream leader', killed: `${leader.name} (ingest leader)`, measure: 'new leader elected', ms: elected2 },
          { round: `${r}.2`, kind: 'the ingest stream leader', killed: `${leader.name} (ingest leader)`, measure: 'first batch accepted', ms: first2 },
          { round: `${r}.2`, kind: 'the ingest stream leader', killed: `${leader.name} (ingest leader)`, measure: 'chargeback shows every call accepted before the kill', ms: caught2 },
        );
        await moreAccepted('ingest after the leader crash', 4);
        const restarted2 = performance.now();
        leader.start();
        const current2 = await msUntil(`${leader.name} current again`, restarted2, () => allCurrent(ingestStream()), 90_000);
        figures.push({ round: `${r}.2`, kind: 'the ingest stream leader', killed: `${leader.name} (ingest leader)`, measure: 'restart → every replica current', ms: current2 });
        await moreAccepted('ingest after the old leader came back', 4);
      }
    } finally {
      running = false;
      await loops.catch((error: unknown) => {
        throw new Error(`the ingest client gave up: ${error instanceof Error ? error.message : String(error)}\n${writer.unexpected.join('\n')}`);
      });
    }
    const during = writer.failures();

    // 3. no quorum: two of three nodes down. The ingest answers 503 + Retry-After in time, and the same request is accepted once they are back.
    await waitFor('the backlog metered', async () => ((await summary()).calls >= accepted() ? true : undefined), { timeoutMs: 90_000 });
    const [down1, down2] = cluster.nodes.slice(0, 2) as [(typeof cluster.nodes)[number], (typeof cluster.nodes)[number]];
    await Promise.all([down1.kill('SIGKILL'), down2.kill('SIGKILL')]);
    const noQuorumAt = performance.now();
    const attemptsBefore = writer.attempts.length;
    const resent = send('no-quorum');
    const firstRefusal = await waitFor('the first answer without quorum', () => writer.attempts.slice(attemptsBefore)[0], { timeoutMs: 30_000, intervalMs: 20 });
    expect({ outcome: firstRefusal.outcome, retryAfter: firstRefusal.retryAfter }).toEqual({ outcome: 503, retryAfter: expect.stringMatching(/^\d+$/) });
    const refusedIn = Math.round(firstRefusal.endedAt - noQuorumAt);
    expect(refusedIn).toBeLessThan(10_000);
    const backAt = performance.now();
    down1.start();
    down2.start();
    await resent;
    figures.push(
      { round: 'last', kind: 'two of three nodes', killed: `${down1.name} ${down2.name} (quorum lost)`, measure: 'first answer: 503 + Retry-After', ms: refusedIn },
      { round: 'last', kind: 'two of three nodes', killed: `${down1.name} ${down2.name} (quorum lost)`, measure: 'restart → the resent batch accepted', ms: Math.round(acceptedAt[acceptedAt.length - 1]! - backAt) },
    );

    console.log(`NATS cluster: accepted ${acceptedCosts.size} usage events; answers retried during the node and leader crashes ${JSON.stringify(during)}, in all ${JSON.stringify(writer.failures())}`);
    // Only 202 or 503 with Retry-After: never another 5xx, a 429, a cut connection or a hang.
    expect(writer.unexpected).toEqual([]);
    expect(writer.attempts.filter((attempt) => attempt.outcome !== 202 && !(attempt.outcome === 503 && attempt.retryAfter !== null))).toEqual([]);

    // Zero lost, zero counted twice: Σ chargeback = Σ accepted, calls and cost, and once each in the store.
    const expected = { calls: acceptedCosts.size, totalCost: sumCosts(acceptedCosts.values()) };
    await waitFor('the chargeback to show every accepted call', async () => ((await summary()).calls >= expected.calls ? true : undefined), { timeoutMs: 90_000 });
    const shown = await summary();
    expect({ calls: shown.calls, totalCost: sumCosts([shown.totalCost]) }).toEqual(expected);
    const { rows } = await env.pool.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT data->>'usageId')::int AS ids FROM steward_events.events
        WHERE event_type = 'UsageRecorded' AND data->>'workspaceId' = $1 AND data->>'source' = 'nats-cluster'`,
      [ws],
    );
    expect(rows[0]).toEqual({ n: expected.calls, ids: expected.calls });
    // Nothing had to be restarted by hand: every Steward process rode it out.
    expect(stack.processes().filter((instance) => instance.pid === undefined).map((instance) => instance.name)).toEqual([]);
  });
});
