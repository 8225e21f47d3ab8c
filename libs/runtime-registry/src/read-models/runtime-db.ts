import type { RuntimesTable } from './runtimes.table';

/** The `runtimes` read model (schema `rm_runtimes`). */
export interface RuntimeDB {
  runtimes: RuntimesTable;
}
