/**
 * The container image's one entry point: `node dist/tools/entrypoint.js <process> [args…]`.
 *
 *   <process>   a long-running process of @steward/config's processes.ts (relay, projections, team-rbac,
 *               job-history, usage-metering, runtime-registry, gateway, and each context added there),
 *   migrate     the database, the event store's tables, checkpoints and the JetStream streams (idempotent),
 *   bootstrap   the first organization and owner (args as bootstrap.main.ts: `--url`, `--json`, `tokens issue`),
 *   steward     the operator's CLI (`steward projections rebuild <name>`, `secrets rotate`, …).
 *
 * The chosen module runs in this process (no child), so SIGTERM reaches its own shutdown handler.
 * It also runs from the sources: `node -r @swc-node/register tools/entrypoint.ts <process>`.
 */
import { extname, join } from 'node:path';
import { BOOTSTRAP_ENTRY, stewardProcesses } from '@steward/config';

const MIGRATE = 'migrate';
const TOOLS: Readonly<Record<string, string>> = {
  [MIGRATE]: 'tools/migrate.ts',
  bootstrap: BOOTSTRAP_ENTRY,
  steward: 'tools/cli/steward.ts',
};

/** Every name the entry point takes, with the source file it runs. */
export function entrypointTargets(): Record<string, string> {
  return { ...Object.fromEntries(stewardProcesses().map((spec) => [spec.name, spec.entry])), ...TOOLS };
}

/** A source path of the repository as the file beside this one runs it: `.js` under dist/, `.ts` from the sources. */
function runnable(entry: string): string {
  return join(__dirname, '..', entry.replace(/\.ts$/, extname(__filename)));
}

function usage(): string {
  return `usage: entrypoint <${Object.keys(entrypointTargets()).join(' | ')}> [args…]`;
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const targets = entrypointTargets();
  const entry = name === undefined ? undefined : targets[name];
  if (name === undefined || entry === undefined) {
    console.error(name === undefined ? usage() : `unknown process "${name}"\n${usage()}`);
    process.exit(2);
  }
  const spec = stewardProcesses().find((candidate) => candidate.name === name);
  for (const [key, value] of Object.entries(spec?.env ?? {})) process.env[key] ??= value;
  process.env.STEWARD_PROCESS ??= name;
  const file = runnable(entry);
  // The module reads its arguments as if it had been started itself (parseArgs takes argv from index 2).
  process.argv = [process.argv[0]!, file, ...args];
  if (name === MIGRATE) {
    // migrate.ts runs itself only as the main module; here it is required.
    const { migrateAll } = (await import(file)) as typeof import('./migrate');
    await migrateAll();
    process.stdout.write('migrated\n');
    return;
  }
  await import(file);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('entrypoint failed:', error);
    process.exit(1);
  });
}
