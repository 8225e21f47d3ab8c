/**
 * The team read models the gateway authenticates and authorizes against (`rm_team`, activity), for the
 * projections service: `STEWARD_PROJECTION_MODULES=services/gateway/src/bootstrap/team-read-models.projections.ts`
 * (set by tools/processes.ts and the test stack). Exports only those the service's own catalogue does
 * not register already, so the variable stays harmless once the catalogue lists them itself.
 */
import type { ProjectionDefinition } from '@steward/projections';
import { projectionCatalog } from '../../../projections/src/projection-catalog';
import { teamReadModelProjections } from '../../../team-rbac/src/read-models';

const registered = new Set(projectionCatalog.map((projection) => projection.name));

export const projections: readonly ProjectionDefinition[] = teamReadModelProjections.filter((projection) => !registered.has(projection.name));
