// One jest configuration, four tiers selected by file name:
//   *.spec.ts      pure and fast
//   *.int.spec.ts  against the real PostgreSQL / NATS / Redis
//   *.e2e.spec.ts  running processes end to end
//   *.ui.spec.ts   the web console in a real browser (Chromium) against the running processes
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

// The tiers that need services share one global setup: jest runs a module
// named by several selected projects once (local services, or containers with
// TESTCONTAINERS=1), and not at all for a unit-only run.
const withServices = {
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    // the console's texts and pure helpers, shared with its browser tests
    '^@steward/console$': '<rootDir>/apps/console/src/public.ts',
    '^@steward/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    // libs/sdk is an ES module package: its relative imports name the emitted `.js` file
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/tmp/', '<rootDir>/apps/[^/]+/dist/'],
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  // Jest 30 reads testTimeout only here, not per project: generous for the
  // integration and end-to-end tiers; unit tests finish in milliseconds anyway.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testRegex: '^(?!.*\\.(int|e2e|ui)\\.spec\\.ts$).*\\.spec\\.ts$' },
    { ...common, ...withServices, displayName: 'int', testRegex: '\\.int\\.spec\\.ts$' },
    { ...common, ...withServices, displayName: 'e2e', testRegex: '\\.e2e\\.spec\\.ts$' },
    { ...common, ...withServices, displayName: 'ui', testRegex: '\\.ui\\.spec\\.ts$' },
  ],
};
