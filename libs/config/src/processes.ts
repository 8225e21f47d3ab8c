/** Every Steward process `npm start` runs, one child process each. Light on purpose (no imports): tools/start.ts and @steward/testing's startStack read it. */
export interface StewardProcess {
  readonly name: string;
  /** A TypeScript entry point, relative to the repository root. */
  readonly entry: string;
  readonly env?: Readonly<Record<string, string>>;
}

export function stewardProcesses(): StewardProcess[] {
  return [
    { name: 'relay', entry: 'libs/messaging/src/relay/relay.main.ts' },
    { name: 'projections', entry: 'services/projections/src/main.ts' },
    { name: 'team-rbac', entry: 'services/team-rbac/src/main.ts' },
    { name: 'job-history', entry: 'services/job-history/src/main.ts' },
    { name: 'usage-metering', entry: 'services/usage-metering/src/main.ts' },
    { name: 'runtime-registry', entry: 'services/runtime-registry/src/main.ts' },
    { name: 'billing', entry: 'services/billing/src/main.ts' },
    { name: 'budgets', entry: 'services/budgets/src/main.ts' },
    { name: 'notifications', entry: 'services/notifications/src/main.ts' },
    { name: 'gateway', entry: 'services/gateway/src/main.ts' },
  ];
}

/** Runs after the gateway answers /readyz: creates the first organization and owner, prints the owner's token. */
export const BOOTSTRAP_ENTRY = 'services/team-rbac/src/bootstrap/bootstrap.main.ts';
