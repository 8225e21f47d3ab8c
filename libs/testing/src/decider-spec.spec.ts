import { deciderSpec } from './decider-spec';

type CountEvent = { readonly type: 'Counted'; readonly by: number } | { readonly type: 'Closed' };
type CountCommand = { readonly type: 'Count'; readonly by: number } | { readonly type: 'Close' };
interface CountState {
  readonly total: number;
  readonly closed: boolean;
}

class CountError extends Error {
  constructor(readonly code: 'CLOSED' | 'TOO_MUCH') {
    super(code);
  }
}

/** A decider small enough to see through: counts up to 10 until closed. */
const counter = {
  initialState: { total: 0, closed: false } as CountState,
  evolve: (state: CountState, event: CountEvent): CountState =>
    event.type === 'Counted' ? { ...state, total: state.total + event.by } : { ...state, closed: true },
  decide: (command: CountCommand, state: CountState): CountEvent[] => {
    if (state.closed) throw new CountError('CLOSED');
    if (command.type === 'Close') return [{ type: 'Closed' }];
    if (state.total + command.by > 10) throw new CountError('TOO_MUCH');
    return command.by === 0 ? [] : [{ type: 'Counted', by: command.by }];
  },
};

const spec = deciderSpec(counter);
const counted = (by: number): CountEvent => ({ type: 'Counted', by });

describe('deciderSpec', () => {
  it('folds the given events and passes when the decided events are the expected ones', () => {
    expect(spec.given([counted(2), counted(3)]).state).toEqual({ total: 5, closed: false });
    spec.given([counted(2)]).when({ type: 'Count', by: 3 }).then([counted(3)]);
    spec.given([]).when({ type: 'Count', by: 0 }).thenNothingHappened();
    spec.given([counted(9), { type: 'Closed' }]).when({ type: 'Count', by: 1 }).thenThrows(CountError, { code: 'CLOSED' });
    spec.given([counted(9)]).when({ type: 'Count', by: 2 }).thenThrows((error) => error instanceof CountError && error.code === 'TOO_MUCH');
  });

  it('fails when the decided events differ from the expected ones', () => {
    expect(() => spec.given([]).when({ type: 'Count', by: 3 }).then([counted(4)])).toThrow();
    expect(() => spec.given([]).when({ type: 'Count', by: 3 }).then([])).toThrow();
    expect(() => spec.given([]).when({ type: 'Count', by: 3 }).thenNothingHappened()).toThrow();
    expect(() => spec.given([]).when({ type: 'Count', by: 3 }).then((events) => expect(events).toHaveLength(2))).toThrow();
  });

  it('fails when an expected refusal does not happen, or is another one', () => {
    expect(() => spec.given([]).when({ type: 'Count', by: 3 }).thenThrows(CountError)).toThrow(/expected the command to be refused/);
    expect(() => spec.given([]).when({ type: 'Count', by: 11 }).thenThrows(CountError, { code: 'CLOSED' })).toThrow();
    expect(() => spec.given([]).when({ type: 'Count', by: 11 }).thenThrows(RangeError)).toThrow();
    expect(() => spec.given([]).when({ type: 'Count', by: 11 }).thenThrows(() => false)).toThrow(/unexpected error: Error: TOO_MUCH/);
  });

  it('events() gives the decided events to build a longer history on, and throws a refusal', () => {
    expect(spec.given([counted(1)]).when({ type: 'Count', by: 2 }).events()).toEqual([counted(2)]);
    expect(() => spec.given([counted(10)]).when({ type: 'Count', by: 1 }).events()).toThrow(CountError);
  });
});
