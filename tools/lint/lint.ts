/**
 * `npm run lint`: eslint over the repository (or the paths given), after Nx has brought its project
 * graph up to date. @nx/enforce-module-boundaries reads that graph from Nx's cache and, when there is
 * none (a fresh clone), skips every check with a warning: the walls between contexts would not be
 * enforced at all.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

export function refreshProjectGraph(): boolean {
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  const result = spawnSync(bin('nx'), ['show', 'projects'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  return result.status === 0;
}

function main(): void {
  if (!refreshProjectGraph()) {
    console.error('lint: Nx could not compute the project graph; the module boundaries cannot be checked');
    process.exit(1);
  }
  const paths = process.argv.slice(2);
  const result = spawnSync(bin('eslint'), paths.length > 0 ? paths : ['.'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

if (require.main === module) main();
