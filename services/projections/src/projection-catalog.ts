/**
 * Every projection the CLI can rebuild or report on. A context registers its
 * projections here (import them from its `@steward/<context>` entry point,
 * append them to the list). Modules named in `STEWARD_PROJECTION_MODULES` (comma-separated paths,
 * each exporting `projections: ProjectionDefinition[]`) are added at run time:
 * tests and one-off tools use that instead of editing this file.
 */
import { resolve } from 'node:path';
import type { ProjectionDefinition } from '@steward/projections';
import { billingReadModelProjections } from '@steward/billing';
import { budgetReadModelProjections } from '@steward/budgets';
import { jobReadModelProjections } from '@steward/job-history';
import { notificationReadModelProjections } from '@steward/notifications';
import { runtimeReadModelProjections } from '@steward/runtime-registry';
import { teamReadModelProjections } from '@steward/team-rbac';
import { usageReadModelProjections } from '@steward/usage-metering';

/**
 * The read models Steward serves. (libs/projections' `eventCountsProjection`, events per type, is not
 * among them: it reads every event a second time, data and all, for a table no screen shows, and at
 * ingest rates that second read of every UsageRecorded delays the calls becoming visible. Add it through
 * STEWARD_PROJECTION_MODULES where it is wanted.)
 */
export const projectionCatalog: readonly ProjectionDefinition[] = [
  ...teamReadModelProjections,
  ...usageReadModelProjections,
  ...jobReadModelProjections,
  ...runtimeReadModelProjections,
  ...billingReadModelProjections,
  ...budgetReadModelProjections,
  ...notificationReadModelProjections,
];

export function loadProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  const all = [...projectionCatalog];
  const modules = (env.STEWARD_PROJECTION_MODULES ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const path of modules) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(resolve(path)) as { projections?: readonly ProjectionDefinition[] };
    if (!Array.isArray(loaded.projections)) {
      throw new Error(`${path} (from STEWARD_PROJECTION_MODULES) does not export a projections array`);
    }
    all.push(...loaded.projections);
  }
  const seen = new Set<string>();
  for (const projection of all) {
    if (seen.has(projection.name)) throw new Error(`projection ${projection.name} is registered twice`);
    seen.add(projection.name);
  }
  return all;
}
