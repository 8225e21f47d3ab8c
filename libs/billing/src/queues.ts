/**
 * The context's BullMQ queues (keys under `<redis prefix>bull`). Queue names are constants: renaming a class
 * must not strand scheduled jobs. Exported so that the operators' view (the gateway's /v1/ops/queues) reads them.
 */
export const InvoiceQueues = { Close: 'billing-invoices' } as const;

/** Job names are constants too: the scheduled close and a run an operator asks for are the same job. */
export const InvoiceQueueJobs = { ClosePeriods: 'close-billing-periods' } as const;
