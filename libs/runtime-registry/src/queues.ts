/**
 * The context's BullMQ queues (keys under `<redis prefix>bull`). Queue names are constants: renaming a class
 * must not strand queued tests. Exported so that the operators' view (the gateway's /v1/ops/queues) reads them.
 */
export const RuntimeQueues = { ConnectionTests: 'runtime-connection-tests' } as const;
