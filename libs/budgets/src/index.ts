/**
 * @steward/budgets — the budgets context's public entry point: budget periods
 * in a time zone, scopes, the budgets read model (budgets, alerts) and its
 * queries, and reservation admission over the counter store.
 */
export * from './periods';
export * from './scope';
export * from './read-models';
export * from './reservations';
