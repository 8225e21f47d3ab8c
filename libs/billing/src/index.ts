/**
 * The billing context's public surface: the plan catalogue and credit
 * arithmetic (exact decimals), billing periods in a time zone, the read side
 * (accounts, the ledger as a bank statement), and the payment provider port.
 * Its commands and events are in @steward/contracts.
 */
export * from './decimal';
export * from './periods';
export * from './plans';
export * from './payments';
export * from './read-models';
export * from './invoices';
export * from './queues';
