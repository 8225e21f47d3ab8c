/** Every Steward process `npm start` runs, one child process each. */
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
  ];
}
