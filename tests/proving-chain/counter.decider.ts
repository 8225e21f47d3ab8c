import type { CounterEvent } from './counter.events';

export type CounterCommand =
  | { type: 'OpenCounter'; counterId: string; name: string }
  | { type: 'IncrementCounter'; counterId: string; by: number };

export type CounterState =
  | { status: 'absent' }
  | { status: 'open'; counterId: string; name: string; total: number };

export const initialCounterState: CounterState = { status: 'absent' };

export class CounterRuleError extends Error {
  constructor(
    readonly code: 'COUNTER_EXISTS' | 'COUNTER_NOT_FOUND' | 'INVALID_AMOUNT',
    message: string,
  ) {
    super(message);
    this.name = 'CounterRuleError';
  }
}

/** Pure: no I/O, no clock, no randomness. */
export function decide(command: CounterCommand, state: CounterState): CounterEvent[] {
  switch (command.type) {
    case 'OpenCounter':
      if (state.status !== 'absent') throw new CounterRuleError('COUNTER_EXISTS', `counter ${command.counterId} exists`);
      return [{ type: 'CounterOpened', data: { counterId: command.counterId, name: command.name } }];
    case 'IncrementCounter':
      if (state.status === 'absent') throw new CounterRuleError('COUNTER_NOT_FOUND', `no counter ${command.counterId}`);
      if (!Number.isInteger(command.by) || command.by < 1 || command.by > 1000) {
        throw new CounterRuleError('INVALID_AMOUNT', 'by must be an integer from 1 to 1000');
      }
      return [{ type: 'CounterIncremented', data: { counterId: command.counterId, by: command.by } }];
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

export function evolve(state: CounterState, event: CounterEvent): CounterState {
  switch (event.type) {
    case 'CounterOpened':
      return { status: 'open', counterId: event.data.counterId, name: event.data.name, total: 0 };
    case 'CounterIncremented':
      return state.status === 'open' ? { ...state, total: state.total + event.data.by } : state;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
