import { z } from 'zod';
import { EventRegistry, defineEvent } from '@steward/contracts';

/**
 * The proving chain's sample aggregate: a counter. Test code only — it exists
 * to prove command → decide → append → relay → NATS → projection → read model.
 */
export const CounterOpened = defineEvent({
  type: 'CounterOpened',
  version: 1,
  context: 'sample',
  schema: z.object({ counterId: z.string().min(1), name: z.string().min(1) }).strict(),
});

export const CounterIncremented = defineEvent({
  type: 'CounterIncremented',
  version: 1,
  context: 'sample',
  schema: z.object({ counterId: z.string().min(1), by: z.number().int().positive() }).strict(),
});

export type CounterEvent =
  | { type: 'CounterOpened'; data: z.infer<typeof CounterOpened.schema> }
  | { type: 'CounterIncremented'; data: z.infer<typeof CounterIncremented.schema> };

export const sampleRegistry = new EventRegistry().register(CounterOpened, CounterIncremented);

export const counterStream = (counterId: string): string => `sample-counter-${counterId}`;
