/**
 * Light on purpose (no imports): the test stack (@steward/testing's startStack) reads it too.
 */

/** The team read models for the projections service (see that module: harmless once the catalogue lists them). */
export const TEAM_READ_MODELS_MODULE = 'services/gateway/src/bootstrap/team-read-models.projections.ts';

/** Every Steward process `npm start` runs, one child process each. */
export interface StewardProcess {
  readonly name: string;
  /** A TypeScript entry point, relative to the repository root. */
  readonly entry: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** The projection modules the projections service loads besides its catalogue (the team read models). */
export function projectionModules(env: NodeJS.ProcessEnv = process.env): string {
  return [env.STEWARD_PROJECTION_MODULES, TEAM_READ_MODELS_MODULE].filter(Boolean).join(',');
}

export function stewardProcesses(env: NodeJS.ProcessEnv = process.env): StewardProcess[] {
  return [
    { name: 'relay', entry: 'libs/messaging/src/relay/relay.main.ts' },
    { name: 'projections', entry: 'services/projections/src/main.ts', env: { STEWARD_PROJECTION_MODULES: projectionModules(env) } },
    { name: 'team-rbac', entry: 'services/team-rbac/src/main.ts' },
    { name: 'gateway', entry: 'services/gateway/src/main.ts' },
  ];
}

/** Runs after the gateway answers /readyz: creates the first organization and owner, prints the owner's token. */
export const BOOTSTRAP_ENTRY = 'services/gateway/src/bootstrap/bootstrap.main.ts';
