/**
 * The team context's public surface: its read side (tables, projections, screen queries), the
 * credential lookups the gateway authenticates with (`./credentials`) and the access checks other
 * contexts use (`./access`). Its commands and events are in @steward/contracts.
 */
export * from './read-models';
export * from './access';
export * from './credentials';
