import { JobCommandPayloads, MAX_STEP_CONTENT_BYTES, TRUNCATION_MARKER, type JobCommandInput, type JobCommandType } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import type { JobCommand } from './job.command';
import { jobDecider } from './job.decider';
import { JobError, JobErrorCode } from './job.error';

const AT = '2026-11-21T10:00:00.000Z';
const LATER = '2026-11-21T10:05:00.000Z';
const ws = 'ws-1';
const jobId = 'job-1';

function command<T extends JobCommandType>(type: T, payload: JobCommandInput<T>, at = AT): JobCommand<T> {
  return { type, payload: JobCommandPayloads[type].parse(payload) as JobCommand<T>['payload'], actor: { type: 'api_key', id: 'key-1' }, at };
}

const { given } = deciderSpec(jobDecider);

const start = command('StartJob', { workspaceId: ws, jobId, agent: 'researcher', input: 'find flights', metadata: { team: 'travel' } });
const started = given([]).when(start).events();
const steps = (ids: string[], at = AT) =>
  command('RecordJobSteps', { workspaceId: ws, jobId, steps: ids.map((stepId) => ({ stepId, type: 'assistant_response' as const, content: `reply ${stepId}` })) }, at);
const finish = (status: 'success' | 'failed' | 'cancelled' | 'timed_out' = 'success', endedAt = LATER) =>
  command('FinishJob', { workspaceId: ws, jobId, status, summary: 'done', endedAt });

describe('job decider', () => {
  it('starts a job with its agent, start time (the command time by default), input and metadata', () => {
    given([])
      .when(start)
      .then([
        {
          type: 'JobStarted',
          data: { workspaceId: ws, jobId, agent: 'researcher', startedAt: AT, input: 'find flights', metadata: { team: 'travel' }, source: 'nats' },
        },
      ]);
  });

  it('an identical start changes nothing; another start of the same job is refused; ensure leaves it as it is', () => {
    given(started).when(start).thenNothingHappened();
    given(started).when(command('StartJob', { workspaceId: ws, jobId, agent: 'someone else' })).thenThrows(JobError, { code: JobErrorCode.AlreadyExists });
    given(started).when(command('StartJob', { workspaceId: ws, jobId, agent: 'someone else', ensure: true })).thenNothingHappened();
  });

  it('records steps in order with every step type, tool name, status, parameters, result and duration', () => {
    const batch = command('RecordJobSteps', {
      workspaceId: ws,
      jobId,
      steps: [
        { stepId: 's1', type: 'user_message', content: 'Book me a flight' },
        { stepId: 's2', type: 'tool_call', toolName: 'search_flights', toolStatus: 'pending', parameters: { to: 'OSL' } },
        { stepId: 's3', type: 'tool_result', toolName: 'search_flights', toolStatus: 'success', result: { flights: 3 }, durationMs: 412 },
        { stepId: 's4', type: 'assistant_response', content: 'Found 3 flights', at: LATER },
        { stepId: 's5', type: 'system', content: 'cache warmed' },
      ],
    });
    given(started)
      .when(batch)
      .then((events) => {
        expect(events.map((event) => event.type === 'JobStepRecorded' && [event.data.sequence, event.data.type])).toEqual([
          [1, 'user_message'],
          [2, 'tool_call'],
          [3, 'tool_result'],
          [4, 'assistant_response'],
          [5, 'system'],
        ]);
        expect(events[2]).toEqual({
          type: 'JobStepRecorded',
          data: { workspaceId: ws, jobId, stepId: 's3', sequence: 3, type: 'tool_result', toolName: 'search_flights', toolStatus: 'success', result: { flights: 3 }, durationMs: 412, at: AT },
        });
        expect(events[3]).toMatchObject({ data: { at: LATER } });
      });
  });

  it('a step id recorded twice is recorded once: resent batches and repeats inside a batch', () => {
    const history = [...started, ...given(started).when(steps(['s1', 's2'])).events()];
    given(history)
      .when(steps(['s1', 's2', 's3', 's3']))
      .then((resent) => {
        expect(resent).toHaveLength(1);
        expect(resent[0]).toMatchObject({ data: { stepId: 's3', sequence: 3 } });
      });
    given(history).when(steps(['s2', 's1'])).thenNothingHappened();
  });

  it('no step after the job finished, but a resent step of a finished job changes nothing', () => {
    const history = [...started, ...given(started).when(steps(['s1'])).events(), ...given(started).when(finish()).events()];
    given(history).when(steps(['s2'])).thenThrows(JobError, { code: JobErrorCode.AlreadyFinished });
    given(history).when(steps(['s1'])).thenNothingHappened();
  });

  it('steps of an unknown job are refused, unless the job may be started with them', () => {
    given([]).when(steps(['s1'])).thenThrows(JobError, { code: JobErrorCode.NotFound });
    const withStart = command('RecordJobSteps', {
      workspaceId: ws,
      jobId,
      steps: [{ stepId: 's1', type: 'system' }],
      startIfMissing: { agent: 'unassigned', startedAt: AT, source: 'otlp' },
    });
    given([])
      .when(withStart)
      .then((events) => expect(events.map((event) => event.type)).toEqual(['JobStarted', 'JobStepRecorded']));
    given(started)
      .when(withStart)
      .then((events) => expect(events.map((event) => event.type)).toEqual(['JobStepRecorded']));
  });

  it('finishes with a status, summary, end time and duration; the same finish again changes nothing; another is refused', () => {
    const finished = [
      { type: 'JobFinished' as const, data: { workspaceId: ws, jobId, status: 'failed' as const, summary: 'done', endedAt: LATER, durationMs: 300_000 } },
    ];
    given(started).when(finish('failed')).then(finished);
    const history = [...started, ...finished];
    given(history).when(finish('failed')).thenNothingHappened();
    given(history).when(finish('timed_out')).thenThrows(JobError, { code: JobErrorCode.AlreadyFinished });
    given([]).when(finish()).thenThrows(JobError, { code: JobErrorCode.NotFound });
  });

  it('the end is not before the start (equal is fine)', () => {
    given(started).when(finish('success', '2026-11-21T09:59:59.999Z')).thenThrows(JobError, { code: JobErrorCode.EndBeforeStart });
    given(started)
      .when(finish('success', AT))
      .then((events) => expect(events).toMatchObject([{ data: { durationMs: 0 } }]));
  });

  it('content over 256 KB is stored cut, ending in the marker, with its original size; 256 KB exactly is kept whole', () => {
    const big = 'é'.repeat(MAX_STEP_CONTENT_BYTES); // 2 bytes each: 512 KB
    const exact = 'a'.repeat(MAX_STEP_CONTENT_BYTES);
    const batch = command('RecordJobSteps', {
      workspaceId: ws,
      jobId,
      steps: [
        { stepId: 'big', type: 'assistant_response', content: big },
        { stepId: 'exact', type: 'assistant_response', content: exact },
        { stepId: 'tool', type: 'tool_result', toolName: 'dump', result: { blob: 'x'.repeat(MAX_STEP_CONTENT_BYTES) } },
      ],
    });
    given(started)
      .when(batch)
      .then((events) => {
        const [cut, whole, tool] = events.map((event) => event.data as { content?: string; result?: unknown; truncated?: unknown });
        expect(cut!.content!.endsWith(TRUNCATION_MARKER)).toBe(true);
        expect(Buffer.byteLength(cut!.content!, 'utf8')).toBeLessThanOrEqual(MAX_STEP_CONTENT_BYTES);
        expect(cut!.content!.startsWith('éé')).toBe(true);
        expect(cut!.content!).not.toContain('\uFFFD');
        expect(cut!.truncated).toEqual([{ field: 'content', originalBytes: 2 * MAX_STEP_CONTENT_BYTES }]);
        expect(whole!.content).toBe(exact);
        expect(whole!.truncated).toBeUndefined();
        expect(typeof tool!.result).toBe('string');
        expect((tool!.result as string).endsWith(TRUNCATION_MARKER)).toBe(true);
        expect(tool!.truncated).toEqual([{ field: 'result', originalBytes: MAX_STEP_CONTENT_BYTES + '{"blob":""}'.length }]);
      });
  });

  it('a long job input is cut the same way', () => {
    given([])
      .when(command('StartJob', { workspaceId: ws, jobId, agent: 'a', input: 'x'.repeat(MAX_STEP_CONTENT_BYTES + 1) }))
      .then(([event]) => expect(event).toMatchObject({ data: { truncated: [{ field: 'input', originalBytes: MAX_STEP_CONTENT_BYTES + 1 }] } }));
  });
});
