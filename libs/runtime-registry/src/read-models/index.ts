export * from './runtimes.table';
export * from './runtime-db';
export * from './runtime.projection';
export * from './runtime-read.repository';
import type { ProjectionDefinition } from '@steward/projections';
import { runtimeProjection } from './runtime.projection';

/** The runtime context's projections, for the projections service's catalogue. */
export const runtimeReadModelProjections: readonly ProjectionDefinition[] = [runtimeProjection];
