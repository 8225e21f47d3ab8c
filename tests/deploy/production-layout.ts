/**
 * The container image's /app, laid out on this machine without Docker: `dist/` from `npm run build`,
 * `package.json`, and a node_modules holding only what `npm ci --omit=dev` would install. Those
 * packages are copied from the checkout's node_modules by package-lock.json's own tree (every
 * `node_modules/…` entry not flagged `dev`, at the same nested path), so nothing is downloaded and the
 * tree is the one npm would build from the same lock.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';

interface LockEntry {
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly link?: boolean;
}

export interface ProductionLayout {
  readonly root: string;
  /** Lock paths copied (`node_modules/pg`, `node_modules/a/node_modules/b`, …). */
  readonly packages: readonly string[];
  /** Optional packages of the lock not installed on this platform (npm skips them alike). */
  readonly skippedOptional: readonly string[];
}

export class ProductionLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProductionLayoutError';
  }
}

/** The lock paths `npm ci --omit=dev` installs. */
export function productionPackages(lockfile: { packages: Record<string, LockEntry> }): string[] {
  return Object.entries(lockfile.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev)
    .map(([path]) => path)
    .sort();
}

/**
 * Builds the layout in a fresh directory under the OS temp dir, outside the checkout: module
 * resolution climbs parent directories, and a node_modules above the layout would hide a missing
 * production dependency.
 */
export function createProductionLayout(repoRoot: string): ProductionLayout {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = mkdtempSync(join(tmpdir(), 'steward-image-'));
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new ProductionLayoutError(`${dir}${sep}node_modules would be visible to the layout in ${root}`);
    if (dirname(dir) === dir) break;
  }
  cpSync(join(repoRoot, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(repoRoot, 'package.json'), join(root, 'package.json'));

  const packages: string[] = [];
  const skippedOptional: string[] = [];
  for (const path of productionPackages(lock)) {
    const entry = lock.packages[path]!;
    if (entry.link) throw new ProductionLayoutError(`${path} is a link in package-lock.json: the image has no workspace packages`);
    const source = join(repoRoot, path);
    if (!existsSync(source)) {
      if (entry.optional) {
        skippedOptional.push(path);
        continue;
      }
      throw new ProductionLayoutError(`${path} is a production package of package-lock.json but is not installed`);
    }
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    // A package's nested node_modules are lock entries of their own (copied when they are production ones).
    cpSync(source, target, { recursive: true, filter: (from) => !from.slice(source.length).split(sep).includes('node_modules') });
    packages.push(path);
  }
  return { root, packages, skippedOptional };
}
