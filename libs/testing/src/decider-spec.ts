/**
 * The decider's shape as specs see it (structurally the same as
 * @steward/commands' Decider: this library stays free of the code it tests).
 */
export interface SpecDecider<C, S, E> {
  readonly initialState: S;
  evolve(state: S, event: E): S;
  decide(command: C, state: S): readonly E[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/** What a refusal must be: an error class, or a test the thrown error passes. */
export type ExpectedRefusal = ErrorClass | ((error: unknown) => boolean);

export interface DeciderWhen<E> {
  /** The command decides exactly these events (none: it changes nothing), or events that pass `check`. */
  then(expected: readonly E[] | ((events: readonly E[]) => void)): void;
  /** The command changes nothing. */
  thenNothingHappened(): void;
  /** The command is refused with `expected`; `properties` (e.g. `{ code }`) are matched on the error. */
  thenThrows(expected: ExpectedRefusal, properties?: Record<string, unknown>): void;
  /** The events decided, to build a longer history (throws what the decider throws). */
  events(): readonly E[];
}

export interface DeciderGiven<C, S, E> {
  /** The given events folded: the state the command is decided on. */
  readonly state: S;
  when(command: C): DeciderWhen<E>;
}

export interface DeciderSpec<C, S, E> {
  /** Events recorded before the command, in order: those of every stream the decision reads. */
  given(events: readonly E[]): DeciderGiven<C, S, E>;
}

/**
 * given events / when a command / then events or a refusal, for any decider
 * `{ decide, evolve, initialState }`. Pure: nothing runs but the decider.
 */
export function deciderSpec<C, S, E>(decider: SpecDecider<C, S, E>): DeciderSpec<C, S, E> {
  return {
    given(events) {
      const state = events.reduce((current, event) => decider.evolve(current, event), decider.initialState);
      return {
        state,
        when(command) {
          const decide = () => decider.decide(command, state);
          return {
            then(expected) {
              const decided = decide();
              if (typeof expected === 'function') expected(decided);
              else expect(decided).toEqual(expected);
            },
            thenNothingHappened() {
              expect(decide()).toEqual([]);
            },
            thenThrows(expected, properties) {
              let decided: readonly E[];
              try {
                decided = decide();
              } catch (error) {
                if (isErrorClass(expected)) expect(error).toBeInstanceOf(expected);
                else if (!expected(error)) throw new Error(`the command was refused with an unexpected error: ${errorText(error)}`, { cause: error });
                if (properties) expect(error).toMatchObject(properties);
                return;
              }
              throw new Error(`expected the command to be refused, but it decided ${JSON.stringify(decided)}`);
            },
            events: decide,
          };
        },
      };
    },
  };
}

function isErrorClass(expected: ExpectedRefusal): expected is ErrorClass {
  return typeof expected === 'function' && (expected === Error || expected.prototype instanceof Error);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
