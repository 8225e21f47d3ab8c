import { EventRegistry, defineEvent, type DefinedEvent } from '@steward/contracts';
import { z } from 'zod';
import { CommandError, type RunnerErrorCodes } from '../src/command-error';
import type { Fold } from '../src/event-stream';

/** A small context for the runner's tests: tallies that count up until closed. */
export enum TallyErrorCode {
  InvalidCommand = 'TALLY_INVALID_COMMAND',
  NotFound = 'TALLY_NOT_FOUND',
  Closed = 'TALLY_CLOSED',
  Conflict = 'TALLY_CONFLICT',
  Unavailable = 'TALLY_UNAVAILABLE',
}

export class TallyError extends CommandError<TallyErrorCode> {
  override readonly name = 'TallyError';
}

export const tallyCodes: RunnerErrorCodes<TallyErrorCode> = TallyErrorCode;

const TallyCounted = defineEvent({
  type: 'TallyCounted',
  version: 1,
  context: 'sample',
  schema: z.object({ workspaceId: z.string(), tallyId: z.string(), by: z.number().int().positive() }).strict(),
});
const TallyClosed = defineEvent({
  type: 'TallyClosed',
  version: 1,
  context: 'sample',
  schema: z.object({ workspaceId: z.string(), tallyId: z.string() }).strict(),
});

export const tallyRegistry = new EventRegistry().register(TallyCounted, TallyClosed);
export type TallyEvent = DefinedEvent<typeof TallyCounted | typeof TallyClosed>;

export interface TallyState {
  readonly total: number;
  readonly closed: boolean;
}

export const tallyAggregate: Fold<TallyState, TallyEvent> = {
  initialState: { total: 0, closed: false },
  evolve: (state, event) => (event.type === 'TallyCounted' ? { ...state, total: state.total + event.data.by } : { ...state, closed: true }),
};

export const CountPayload = z.object({ workspaceId: z.string().min(1), tallyId: z.string().min(1), by: z.number().int().positive() }).strict();

export function tallyStream(tallyId: string): string {
  return `sample-tally-${tallyId}`;
}
