import type { Aggregate } from '@steward/commands';
import type { JobEvent, JobFinishStatus, JobStatus } from '@steward/contracts';

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

export const initialJobState: JobState = { exists: false };


export function evolveJob(state: JobState, event: JobEvent): JobState {
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
      return _exhaustive;
    }
  }
}

/** Folds a job's history. */
export function foldJob(events: readonly JobEvent[], from: JobState = initialJobState): JobState {
  return events.reduce(evolveJob, from);
}

/** A job's stream folded for a decision. */
export const jobAggregate: Aggregate<JobState, JobEvent> = {
  initial: initialJobState,
  types: new Set<JobEvent['type']>(['JobStarted', 'JobStepRecorded', 'JobFinished']),
  evolve: evolveJob,
};
