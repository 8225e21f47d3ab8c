import type { Actor, CommandEnvelope, JobCommandPayload, JobCommandType } from '@steward/contracts';

/** A command as the decider receives it: validated payload, who asks, and when (deciders never read a clock). */
export interface JobCommand<T extends JobCommandType = JobCommandType> {
  readonly type: T;
  readonly payload: JobCommandPayload<T>;
  readonly actor: Actor;
  /** ISO time the command was issued. */
  readonly at: string;
}

export type AnyJobCommand = { [T in JobCommandType]: JobCommand<T> }[JobCommandType];

export interface EnvelopedJobCommand<T extends JobCommandType = JobCommandType> extends JobCommand<T> {
  readonly envelope: CommandEnvelope;
}

export type AnyEnvelopedJobCommand = { [T in JobCommandType]: EnvelopedJobCommand<T> }[JobCommandType];
