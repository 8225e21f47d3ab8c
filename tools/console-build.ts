/**
 * Builds the web console (apps/console → apps/console/dist, `vite build`) when its build is missing or older
 * than any of its sources. `npm start` and the browser tests call it; run alone:
 * `node -r @swc-node/register tools/console-build.ts` (or `npm run console:build` to build unconditionally).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
export const CONSOLE_DIR = join(ROOT, 'apps', 'console');
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the console needs building, or undefined when its build is current. */
export function consoleBuildReason(): string | undefined {
  const index = join(CONSOLE_DIST, 'index.html');
  if (!existsSync(index)) return 'apps/console/dist is missing';
  const built = statSync(index).mtimeMs;
  const sources = [join(CONSOLE_DIR, 'src'), join(CONSOLE_DIR, 'index.html'), join(CONSOLE_DIR, 'vite.config.mts'), join(ROOT, 'package-lock.json')];
  const stale = sources.find((source) => existsSync(source) && newestMtime(source) > built);
  return stale === undefined ? undefined : `${stale.slice(ROOT.length + 1)} changed since the last build`;
}

/** Builds when needed; returns what it did. Throws when the build fails. */
export function ensureConsoleBuilt(log: (line: string) => void = () => undefined): 'built' | 'current' {
  const reason = consoleBuildReason();
  if (reason === undefined) return 'current';
  log(`building the console (${reason})`);
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(CONSOLE_DIR, 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  if (result.status !== 0) throw new Error(`the console build failed (vite exited ${result.signal ?? result.status})`);
  return 'built';
}

if (require.main === module) {
  try {
    process.stdout.write(`console: ${ensureConsoleBuilt((line) => process.stdout.write(`${line}\n`))}\n`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
