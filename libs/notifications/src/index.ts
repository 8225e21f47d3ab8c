/** The notifications context's public surface: its read side (channels, the delivery log). Its commands and events are in @steward/contracts. */
export * from './read-models';
