/**
 * Replicas hold under faults. The stack runs two of every process that may
 * have replicas — gateway (behind a TCP round-robin), usage-metering,
 * projections, team-rbac, job-history, runtime-registry — as real child
 * processes. While usage batches, job lifecycles, API keys and runtimes stream
 * in, one replica of each is SIGKILLed at once, restarted, then the other one
 * of each. The clients retry as agents do (same Idempotency-Key, Retry-After).
 * Afterwards: Σ chargeback = Σ accepted exactly (calls and cost), every job
 * finished with its steps once, every created key and runtime listed exactly
 * once; no answer was a 500 or a hang, every 503 carried Retry-After; each
 * projection led by a killed replica was taken over by its standby within 10 s.
 * Recovery figures are printed: from the kill to a new write of each kind
 * (sent right after it) accepted, to the standby leading, to the chargeback
 * showing every call accepted before the kill; the slowest write the kill
 * cut. STEWARD_FAULTS_ROUNDS=n (default 1) repeats the two kills n times,
 * for a longer run.
 */
import { performance } from 'node:perf_hooks';
import { UsageEventSchema } from '@steward/contracts';
import { Fixtures, GatewayClient } from '../gateway/support/gateway-client';
import { type RoundRobin, type Stack, type TestEnv, createTestEnv, startRoundRobin, startStack, waitFor } from '@steward/testing';
import { Pricer, sumCosts } from '@steward/usage-metering';
import { type RecoveryFigure, RetryingWriter, chargebackShows, msUntil, recordFigures, recoveryTable } from './support/fault-load';

const ROUNDS = Math.max(1, Number(process.env.STEWARD_FAULTS_ROUNDS ?? 1));
const REPLICATED = ['gateway', 'usage-metering', 'projections', 'team-rbac', 'job-history', 'runtime-registry'] as const;
const TAKEOVER_LIMIT_MS = 10_000;
const KIND = 'one replica of each service';
const BATCH = 25;

jest.setTimeout(240_000 + (ROUNDS - 1) * 120_000);

interface Holder {
  readonly projection: string;
  readonly holder: string | null;
}

describe('two replicas of every service, SIGKILLed one after the other under load', () => {
  let env: TestEnv;
  let stack: Stack;
  let proxy: RoundRobin;
  const figures: RecoveryFigure[] = [];
  /** Polled often while measuring: an API key's budget (6,000 a minute), not the owner's. */
  let readToken: string;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, {
      replicas: Object.fromEntries(REPLICATED.map((name) => [name, 2])),
      logLevel: 'info',
      readyTimeoutMs: 180_000,
    });
    proxy = await startRoundRobin(stack.gatewayUrls);
  });

  afterAll(async () => {
    if (figures.length > 0) console.log(recoveryTable('replica faults: recovery after SIGKILL', figures));
    recordFigures('replicas', figures);
    await proxy?.close();
    await stack?.stop();
    await env?.dispose();
  });

  /** Who holds each projection's leader lock (the PGAPPNAME of its session), for every projection with a checkpoint. */
  async function holders(): Promise<Holder[]> {
    const { rows } = await env.pool.query<{ projection: string; holder: string | null }>(
      `SELECT c.name AS projection, a.application_name AS holder
         FROM steward_projections.checkpoints c
         CROSS JOIN LATERAL (SELECT hashtextextended('steward.projection:' || c.name, 0) AS k) h
         LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = ((h.k >> 32) & 4294967295) AND l.objid::bigint = (h.k & 4294967295)
         LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        ORDER BY c.name`,
    );
    return rows;
  }

  async function summary(): Promise<{ calls: number; totalCost: string }> {
    const response = await fetch(`${proxy.url}/v1/usage/summary?workspaceId=${stack.workspaceId}`, {
      headers: { authorization: `Bearer ${readToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`summary answered ${response.status}`);
    return (await response.json()) as { calls: number; totalCost: string };
  }

  async function listAll<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const response = await fetch(`${proxy.url}${path}?page=${page}&pageSize=100`, { headers: { authorization: `Bearer ${stack.ownerToken}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: T[]; pageCount: number };
      items.push(...body.items);
      if (page >= body.pageCount) return items;
    }
  }

  it('loses nothing, counts nothing twice, and a standby takes every projection over within 10 s', async () => {
    const ws = stack.workspaceId;
    // an agent's API key sends usage and jobs; the owner issues keys and registers runtimes
    const agentKey = await new Fixtures(new GatewayClient(proxy.url)).issueApiKey(stack.ownerToken, ws, ['usage:write', 'jobs:write', 'read'], 'chaos agent');
    const agent = new RetryingWriter({ url: proxy.url, token: agentKey.token });
    readToken = agentKey.token;
    const owner = new RetryingWriter({ url: proxy.url, token: stack.ownerToken });
    const writers = [agent, owner];
    const kills: Array<{ round: string; killed: string; at: number }> = [];
    const pricer = new Pricer();
    const acceptedCosts = new Map<string, string>();
    /** performance.now() of each accepted usage batch's answer, with its size. */
    const acceptedAt: Array<{ at: number; events: number }> = [];
    const finishedJobs: string[] = [];
    const keys: string[] = [];
    const runtimes: string[] = [];
    let running = true;
    let sequence = 0;

    const sendUsage = async (label: string, n: number): Promise<void> => {
      const events = Array.from({ length: BATCH }, (_, i) => ({
        id: `${label}-e${i}`,
        source: 'replica-faults',
        time: new Date().toISOString(),
        agent: `agent-${i % 3}`,
        provider: 'openai',
        model: i % 2 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
        inputTokens: 1000 + n + i,
        outputTokens: 100 + i,
        cacheReadInputTokens: i * 7,
        responseTimeMs: 300 + i,
      }));
      const answer = await agent.write<{ accepted: number; rejected: number }>('usage', 'POST', `/v1/workspaces/${ws}/usage`, { events }, label);
      expect(answer.body).toMatchObject({ accepted: BATCH, rejected: 0 });
      for (const event of events) acceptedCosts.set(event.id, pricer.priceFromCatalogue(UsageEventSchema.parse(event)).cost);
      acceptedAt.push({ at: answer.endedAt, events: BATCH });
    };
    /** A job's whole life: start, two step batches, finish. `started` is called once the start is accepted. */
    const runJob = async (jobId: string, started?: () => void): Promise<void> => {
      const jobs = `/v1/workspaces/${ws}/jobs`;
      await agent.write('job', 'POST', jobs, { jobId, agent: 'chaos-agent', input: `job ${jobId}` }, `${jobId}-start`);
      started?.();
      await agent.write('job', 'POST', `${jobs}/${jobId}/steps`, { steps: [{ stepId: 's1', type: 'user_message', content: `ask ${jobId}` }, { stepId: 's2', type: 'tool_call', toolName: 'lookup', toolStatus: 'pending', parameters: { jobId } }] }, `${jobId}-steps-1`);
      await agent.write('job', 'POST', `${jobs}/${jobId}/steps`, { steps: [{ stepId: 's3', type: 'assistant_response', content: `answer ${jobId}` }] }, `${jobId}-steps-2`);
      await agent.write('job', 'POST', `${jobs}/${jobId}/finish`, { status: 'success', summary: `done ${jobId}` }, `${jobId}-finish`);
      finishedJobs.push(jobId);
    };
    const createKey = async (name: string): Promise<void> => {
      const key = await owner.write<{ id: string }>('key', 'POST', `/v1/workspaces/${ws}/api-keys`, { name, scopes: ['read'] }, name);
      keys.push(key.body.id);
    };
    const createRuntime = async (name: string): Promise<void> => {
      const runtime = await owner.write<{ id: string }>('runtime', 'POST', `/v1/workspaces/${ws}/runtimes`, { name, provider: 'docker', config: { host: 'tcp://127.0.0.1:2375' } }, name);
      runtimes.push(runtime.body.id);
    };
    const usageLoop = async (worker: number): Promise<void> => {
      while (running) {
        const n = sequence++;
        await sendUsage(`w${worker}-b${n}`, n);
      }
    };
    const jobLoop = async (): Promise<void> => {
      for (let n = 0; running; n++) await runJob(`chaos-job-${n}`);
    };
    const keyLoop = async (): Promise<void> => {
      for (let n = 0; running; n++) await createKey(`chaos-key-${n}`);
    };
    const runtimeLoop = async (): Promise<void> => {
      for (let n = 0; running; n++) await createRuntime(`chaos-runtime-${n}`);
    };
    const loops = Promise.all([usageLoop(1), usageLoop(2), jobLoop(), keyLoop(), runtimeLoop()]);
    loops.catch(() => undefined);

    try {
      await waitFor('the load to flow', () => (acceptedAt.length >= 4 && finishedJobs.length >= 1 && keys.length >= 2 && runtimes.length >= 2 ? true : undefined), {
        timeoutMs: 60_000,
      });

      /** Kills `victims` at once and measures the recovery; returns when every measure is in. */
      const round = async (label: string, victims: readonly string[]): Promise<void> => {
        const led = (await holders()).filter((row) => row.holder !== null && victims.includes(row.holder)).map((row) => row.projection);
        const acceptedBefore = [...acceptedCosts.keys()];
        const killedAt = performance.now();
        kills.push({ round: label, killed: victims.join(' '), at: killedAt });
        const exits = await Promise.all(victims.map((victim) => stack.kill(victim, 'SIGKILL')));
        for (const exit of exits) expect(exit.signal).toBe('SIGKILL');
        const killed = `${victims.join(' ')} (leading ${led.length} projections)`;
        // new requests sent at once after the kill (not retries of requests the kill cut): when is each accepted?
        const since = async (accepted: Promise<unknown>): Promise<number> => {
          await accepted;
          return Math.round(performance.now() - killedAt);
        };
        let jobStarted = 0;
        const probeJob = runJob(`chaos-job-probe-${label}`, () => (jobStarted = Math.round(performance.now() - killedAt)));
        const [usage, key, runtime, takeover, caughtUp] = await Promise.all([
          since(sendUsage(`probe-${label}`, 0)),
          since(createKey(`chaos-key-probe-${label}`)),
          since(createRuntime(`chaos-runtime-probe-${label}`)),
          msUntil(`a standby to lead ${led.join(', ')}`, killedAt, async () => {
            const now = await holders();
            return led.every((name) => {
              const holder = now.find((row) => row.projection === name)?.holder;
              return holder !== null && holder !== undefined && !victims.includes(holder);
            });
          }),
          msUntil(`the chargeback to show the ${acceptedBefore.length} calls accepted before the kill`, killedAt, await chargebackShows(env.pool, ws, acceptedBefore), 90_000),
        ]);
        await probeJob;
        figures.push(
          { round: label, kind: KIND, killed, measure: 'new usage batch accepted', ms: usage },
          { round: label, kind: KIND, killed, measure: 'new API key accepted (team-rbac)', ms: key },
          { round: label, kind: KIND, killed, measure: 'new job started (job-history)', ms: jobStarted },
          { round: label, kind: KIND, killed, measure: 'new runtime accepted (runtime-registry)', ms: runtime },
          { round: label, kind: KIND, killed, measure: 'standby leads what the killed replica led', ms: takeover },
          { round: label, kind: KIND, killed, measure: 'chargeback shows every call accepted before the kill', ms: caughtUp },
        );
        expect(led.length).toBeGreaterThan(0);
        expect(takeover).toBeLessThan(TAKEOVER_LIMIT_MS);
      };

      /** For each process, of its running instances not killed in the last round: the one leading a projection if one does, else the first. */
      const pickVictims = async (spared: readonly string[] = []): Promise<string[]> => {
        const now = await holders();
        const running = stack.processes().filter((instance) => instance.pid !== undefined && !spared.includes(instance.name));
        return REPLICATED.map((name) => {
          const instances = running.filter((instance) => instance.process === name);
          const leader = instances.find((instance) => now.some((row) => row.holder === instance.name));
          return (leader ?? instances[0]!).name;
        });
      };

      let previous: string[] = [];
      for (let r = 1; r <= ROUNDS; r++) {
        const first = await pickVictims(previous);
        await round(`${r}a`, first);
        const restartedAt = performance.now();
        await Promise.all(first.map((victim) => stack.restart(victim, { timeoutMs: 150_000 })));
        figures.push({ round: `${r}a`, kind: KIND, killed: first.join(' '), measure: 'killed replicas restarted and ready', ms: Math.round(performance.now() - restartedAt) });
        const second = await pickVictims(first);
        await round(`${r}b`, second);
        if (r < ROUNDS) await Promise.all(second.map((victim) => stack.restart(victim, { timeoutMs: 150_000 })));
        previous = second;
      }
      const last = acceptedAt.length;
      await waitFor('more load after the last kill', () => (acceptedAt.length >= last + 4 ? true : undefined), { timeoutMs: 60_000 });
    } finally {
      running = false;
      await loops.catch((error: unknown) => {
        throw new Error(`a writer gave up: ${error instanceof Error ? error.message : String(error)}\n${[...agent.unexpected, ...owner.unexpected].join('\n')}`);
      });
    }

    for (const kill of kills) {
      figures.push(
        { round: kill.round, kind: KIND, killed: kill.killed, measure: 'slowest usage batch in flight at the kill', ms: agent.slowestInFlight(kill.at, ['usage']) },
        { round: kill.round, kind: KIND, killed: kill.killed, measure: 'slowest command in flight at the kill', ms: Math.max(agent.slowestInFlight(kill.at, ['job']), owner.slowestInFlight(kill.at, ['key', 'runtime'])) },
      );
    }
    console.log(
      `replica faults: accepted ${acceptedCosts.size} usage events, ${finishedJobs.length} jobs, ${keys.length} API keys, ${runtimes.length} runtimes; ` +
        `retried answers: agent ${JSON.stringify(agent.failures())}, owner ${JSON.stringify(owner.failures())}; connections per gateway ${JSON.stringify(proxy.connections)}`,
    );
    // Only answers worth retrying, and each 503 says when to retry; never a 500 nor a hang.
    const attempts = writers.flatMap((writer) => writer.attempts);
    expect(writers.flatMap((writer) => writer.unexpected)).toEqual([]);
    expect(attempts.filter((attempt) => attempt.outcome === 'timeout' || (typeof attempt.outcome === 'number' && attempt.outcome >= 500 && attempt.outcome !== 503))).toEqual([]);
    expect(attempts.filter((attempt) => attempt.outcome === 503 && attempt.retryAfter === null)).toEqual([]);
    for (const url of stack.gatewayUrls) expect(proxy.connections[url]).toBeGreaterThan(0);

    // Σ chargeback = Σ accepted, exactly: every accepted call once, at its catalogue price.
    const expected = { calls: acceptedCosts.size, totalCost: sumCosts(acceptedCosts.values()) };
    await waitFor('the chargeback to show every accepted call', async () => ((await summary()).calls >= expected.calls ? true : undefined), { timeoutMs: 90_000 });
    const shown = await summary();
    expect({ calls: shown.calls, totalCost: sumCosts([shown.totalCost]) }).toEqual(expected);
    const { rows } = await env.pool.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT data->>'usageId')::int AS ids FROM steward_events.events
        WHERE event_type = 'UsageRecorded' AND data->>'workspaceId' = $1 AND data->>'source' = 'replica-faults'`,
      [ws],
    );
    expect(rows[0]).toEqual({ n: expected.calls, ids: expected.calls });

    // Every job finished, with its three steps once each.
    const jobs = await listAll<{ jobId: string; status: string }>(`/v1/workspaces/${ws}/jobs`);
    const chaosJobs = jobs.filter((job) => job.jobId.startsWith('chaos-job-'));
    expect(chaosJobs.map((job) => job.jobId).sort()).toEqual([...finishedJobs].sort());
    for (const jobId of finishedJobs) {
      const response = await fetch(`${proxy.url}/v1/workspaces/${ws}/jobs/${jobId}`, { headers: { authorization: `Bearer ${stack.ownerToken}` } });
      const job = (await response.json()) as { status: string; stepCount: number; steps: Array<{ stepId: string }> };
      expect({ jobId, status: job.status, stepCount: job.stepCount, steps: job.steps.map((step) => step.stepId) }).toEqual({ jobId, status: 'success', stepCount: 3, steps: ['s1', 's2', 's3'] });
    }

    // Every command's answer reflected once: each key and runtime created is listed exactly once, and nothing more.
    const listedKeys = (await listAll<{ id: string; name: string }>(`/v1/workspaces/${ws}/api-keys`)).filter((key) => key.name.startsWith('chaos-key-'));
    expect(listedKeys.map((key) => key.id).sort()).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    const listedRuntimes = (await listAll<{ id: string; name: string }>(`/v1/workspaces/${ws}/runtimes`)).filter((runtime) => runtime.name.startsWith('chaos-runtime-'));
    expect(listedRuntimes.map((runtime) => runtime.id).sort()).toEqual([...runtimes].sort());
    expect(new Set(runtimes).size).toBe(runtimes.length);
  });
});
