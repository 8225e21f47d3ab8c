import type { Decider } from '@steward/commands';
import type { JobEvent, JobFinishStatus, JobStatus, JobStepInput, Truncation } from '@steward/contracts';
import type { AnyJobCommand, JobCommand } from './job.command';
import { JobError, JobErrorCode } from './job.error';
import { truncateJson, truncateText } from './truncation';

export type JobState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly workspaceId: string;
      readonly jobId: string;
      readonly agent: string;
      readonly startedAt: string;
      readonly status: JobStatus;
      readonly finishedAs?: JobFinishStatus;
      /**
       * Ids of the recorded steps. Append-only and shared between successive
       * states (a copy per step would make folding a long job quadratic).
       */
      readonly stepIds: ReadonlySet<string>;
      readonly stepCount: number;
    };

const initialState: JobState = { exists: false };

/** A job's stream folded. */
function evolve(state: JobState, event: JobEvent): JobState {
  switch (event.type) {
    case 'JobStarted': {
      const { workspaceId, jobId, agent, startedAt } = event.data;
      return { exists: true, workspaceId, jobId, agent, startedAt, status: 'running', stepIds: new Set(), stepCount: 0 };
    }
    case 'JobStepRecorded': {
      if (!state.exists) return state;
      (state.stepIds as Set<string>).add(event.data.stepId);
      return { ...state, stepCount: Math.max(state.stepCount, event.data.sequence) };
    }
    case 'JobFinished':
      return state.exists ? { ...state, status: event.data.status, finishedAs: event.data.status } : state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/**
 * The job's rules:
 * - a job starts once (an identical start, or one with `ensure`, changes nothing);
 * - a step id recorded twice is recorded once (the same batch resent, or a step repeated inside one);
 * - no step after the job finished; a job finishes once (the same outcome again changes nothing);
 * - the end is not before the start;
 * - texts over 256 KB are stored cut, with a marker and their original size.
 */
function decide(command: AnyJobCommand, state: JobState): JobEvent[] {
  switch (command.type) {
    case 'StartJob':
      return decideStart(command, state);
    case 'RecordJobSteps':
      return decideSteps(command, state);
    case 'FinishJob':
      return decideFinish(command, state);
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

function decideStart(command: JobCommand<'StartJob'>, state: JobState): JobEvent[] {
  const { payload, at } = command;
  const startedAt = payload.startedAt ?? at;
  if (state.exists) {
    if (payload.ensure || (state.agent === payload.agent && Date.parse(state.startedAt) === Date.parse(startedAt))) return [];
    throw new JobError(JobErrorCode.AlreadyExists, `job ${payload.jobId} was started already`);
  }
  const input = payload.input === undefined ? undefined : truncateText(payload.input, 'input');
  return [
    {
      type: 'JobStarted',
      data: {
        workspaceId: payload.workspaceId,
        jobId: payload.jobId,
        agent: payload.agent,
        startedAt,
        ...(input ? { input: input.text } : {}),
        ...(payload.metadata ? { metadata: payload.metadata } : {}),
        source: payload.source,
        ...(input?.truncation ? { truncated: [input.truncation] } : {}),
      },
    },
  ];
}

function decideSteps(command: JobCommand<'RecordJobSteps'>, state: JobState): JobEvent[] {
  const { payload, at } = command;
  const events: JobEvent[] = [];
  let known: ReadonlySet<string> = new Set();
  let count = 0;
  let running = true;
  if (state.exists) {
    known = state.stepIds;
    count = state.stepCount;
    running = state.status === 'running';
  } else if (payload.startIfMissing) {
    const { agent, startedAt, source } = payload.startIfMissing;
    events.push({ type: 'JobStarted', data: { workspaceId: payload.workspaceId, jobId: payload.jobId, agent, startedAt, source } });
  } else {
    throw new JobError(JobErrorCode.NotFound, `no job ${payload.jobId} in ${payload.workspaceId}`);
  }
  const seen = new Set<string>();
  const fresh = payload.steps.filter((step) => {
    if (known.has(step.stepId) || seen.has(step.stepId)) return false;
    seen.add(step.stepId);
    return true;
  });
  if (fresh.length > 0 && !running) {
    throw new JobError(JobErrorCode.AlreadyFinished, `job ${payload.jobId} is finished: no more steps`);
  }
  fresh.forEach((step, index) => {
    events.push({ type: 'JobStepRecorded', data: stepData(payload.workspaceId, payload.jobId, step, count + index + 1, at) });
  });
  return events;
}

function stepData(workspaceId: string, jobId: string, step: JobStepInput, sequence: number, at: string) {
  const truncated: Truncation[] = [];
  const content = step.content === undefined ? undefined : truncateText(step.content, 'content');
  const parameters = step.parameters === undefined ? undefined : truncateJson(step.parameters, 'parameters');
  const result = step.result === undefined ? undefined : truncateJson(step.result, 'result');
  for (const cut of [content, parameters, result]) if (cut?.truncation) truncated.push(cut.truncation);
  return {
    workspaceId,
    jobId,
    stepId: step.stepId,
    sequence,
    type: step.type,
    ...(content ? { content: content.text } : {}),
    ...(step.toolName !== undefined ? { toolName: step.toolName } : {}),
    ...(step.toolStatus !== undefined ? { toolStatus: step.toolStatus } : {}),
    ...(parameters ? { parameters: parameters.value } : {}),
    ...(result ? { result: result.value } : {}),
    ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
    at: step.at ?? at,
    ...(truncated.length > 0 ? { truncated } : {}),
  };
}

function decideFinish(command: JobCommand<'FinishJob'>, state: JobState): JobEvent[] {
  const { payload, at } = command;
  if (!state.exists) throw new JobError(JobErrorCode.NotFound, `no job ${payload.jobId} in ${payload.workspaceId}`);
  if (state.status !== 'running') {
    if (state.status === payload.status) return [];
    throw new JobError(JobErrorCode.AlreadyFinished, `job ${payload.jobId} finished already as ${state.status}`);
  }
  const endedAt = payload.endedAt ?? at;
  const durationMs = Date.parse(endedAt) - Date.parse(state.startedAt);
  if (durationMs < 0) {
    throw new JobError(JobErrorCode.EndBeforeStart, `the end ${endedAt} lies before the start ${state.startedAt}`);
  }
  return [
    {
      type: 'JobFinished',
      data: {
        workspaceId: payload.workspaceId,
        jobId: payload.jobId,
        status: payload.status,
        ...(payload.summary !== undefined ? { summary: payload.summary } : {}),
        endedAt,
        durationMs,
      },
    },
  ];
}

/** A job: its stream is `JobStreams.job(workspaceId, jobId)`. */
export const jobDecider: Decider<AnyJobCommand, JobState, JobEvent> = { decide, evolve, initialState };
