/**
 * The team context's public surface: its read side (tables, projections, query repositories), the
 * credential lookups the gateway authenticates with, and the access checks other contexts use. Its
 * commands and events are in @steward/contracts.
 */
export * from './read-models';
export * from './credentials';
