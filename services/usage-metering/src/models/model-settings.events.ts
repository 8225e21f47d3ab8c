import { EventRegistry, USAGE_EVENTS } from '@steward/contracts';

/** The usage context's events (validation before append, upcasting on load). */
export const usageEventRegistry = new EventRegistry().register(...USAGE_EVENTS);
