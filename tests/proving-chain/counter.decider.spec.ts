import { CounterRuleError, decide, evolve, initialCounterState, type CounterCommand } from './counter.decider';
import type { CounterEvent } from './counter.events';

const given = (events: CounterEvent[]) => events.reduce(evolve, initialCounterState);
const opened: CounterEvent = { type: 'CounterOpened', data: { counterId: 'c1', name: 'clicks' } };

describe('counter decider', () => {
  it('opens a counter that does not exist', () => {
    const command: CounterCommand = { type: 'OpenCounter', counterId: 'c1', name: 'clicks' };
    expect(decide(command, given([]))).toEqual([opened]);
  });

  it('refuses to open a counter twice', () => {
    expect(() => decide({ type: 'OpenCounter', counterId: 'c1', name: 'x' }, given([opened]))).toThrow(CounterRuleError);
  });

  it('increments an open counter', () => {
    expect(decide({ type: 'IncrementCounter', counterId: 'c1', by: 3 }, given([opened]))).toEqual([
      { type: 'CounterIncremented', data: { counterId: 'c1', by: 3 } },
    ]);
  });

  it('refuses to increment a counter never opened', () => {
    expect(() => decide({ type: 'IncrementCounter', counterId: 'c1', by: 1 }, given([]))).toThrow(/no counter c1/);
  });

  it('refuses amounts outside 1..1000', () => {
    for (const by of [0, -1, 1.5, 1001]) {
      expect(() => decide({ type: 'IncrementCounter', counterId: 'c1', by }, given([opened]))).toThrow(/1 to 1000/);
    }
  });

  it('folds increments into the total', () => {
    const state = given([opened, { type: 'CounterIncremented', data: { counterId: 'c1', by: 2 } }, { type: 'CounterIncremented', data: { counterId: 'c1', by: 5 } }]);
    expect(state).toEqual({ status: 'open', counterId: 'c1', name: 'clicks', total: 7 });
  });
});
