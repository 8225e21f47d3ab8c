/**
 * The usage-metering context's public surface: pricing (exact decimal costs, the built-in catalogue), and its
 * read side (chargeback, statement, model settings). Its commands and events are in @steward/contracts.
 */
export * from './pricing';
export * from './read-models';
export * from './read-models/model-settings';
