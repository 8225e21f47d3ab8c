/**
 * The context's BullMQ queues (keys under `<redis prefix>bull`). Queue names are constants: renaming a class
 * must not strand scheduled jobs. Exported so that the operators' view (the gateway's /v1/ops/queues) reads them.
 */
export const JobQueues = { Timeouts: 'job-timeouts' } as const;
