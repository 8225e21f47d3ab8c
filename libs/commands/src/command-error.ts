import type { CommandErrorBody } from '@steward/contracts';

/**
 * A command a context refuses: a broken rule, a missing aggregate, a conflict.
 * Each context extends it with its own name and code enum, whose codes the
 * gateway maps to HTTP statuses.
 */
export class CommandError<TCode extends string> extends Error {
  constructor(
    readonly code: TCode,
    message: string,
    /** For an invalid command: the payload field at fault. */
    readonly field?: string,
  ) {
    super(message);
  }

  toBody(): CommandErrorBody<TCode> {
    return { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}

/** The codes of the refusals the runner makes itself; every context's code enum has them. */
export interface RunnerErrorCodes<TCode extends string> {
  readonly InvalidCommand: TCode;
  readonly NotFound: TCode;
  readonly Conflict: TCode;
  readonly Unavailable: TCode;
}

/** A context's error class, as the runner makes its refusals. */
export type CommandErrorClass<TCode extends string> = new (code: TCode, message: string, field?: string) => CommandError<TCode>;
