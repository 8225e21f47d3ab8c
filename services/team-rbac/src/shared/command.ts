import type { Actor, CommandEnvelope, TeamCommandPayload, TeamCommandType } from '@steward/contracts';

/**
 * A command as a decider receives it: the validated payload plus who asks and
 * when (the envelope's `issuedAt`: deciders never read a clock).
 */
export interface TeamCommand<T extends TeamCommandType> {
  readonly type: T;
  readonly payload: TeamCommandPayload<T>;
  readonly actor: Actor;
  /** ISO time the command was issued. */
  readonly at: string;
}

/** A command with the envelope it came in, as handlers see it. */
export interface EnvelopedCommand<T extends TeamCommandType> extends TeamCommand<T> {
  readonly envelope: CommandEnvelope;
}
