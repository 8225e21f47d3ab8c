/** The runtime-registry context's public surface: its read side. Its commands and events are in @steward/contracts. */
export * from './read-models';
export * from './queues';
