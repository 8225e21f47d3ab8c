/**
 * The container image, built on this machine without Docker:
 *
 * - `buildFromDockerContext`: the build stage. What its `COPY`s take from the build context, filtered
 *   by .dockerignore, is copied to a scratch directory, which gets the checkout's node_modules (what
 *   the stage's `npm ci` installs) and runs `npm run build` there: a file the build needs but the
 *   context leaves out fails it, as it would fail `docker build`.
 * - `createProductionLayout`: the runtime stage's /app: that `dist/`, the console's `apps/console/dist`, `package.json`, and a
 *   node_modules holding only what `npm ci --omit=dev` installs. Those packages are copied from the
 *   checkout's node_modules by package-lock.json's own tree (every `node_modules/…` entry not flagged
 *   `dev`, at the same nested path): nothing is downloaded (an offline `npm ci --omit=dev` fails here
 *   on packages the npm cache does not hold), and the tree is the one npm builds from the same lock.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { parseDockerfile, type Instruction } from './dockerfile';

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
 * The exclusions of .dockerignore that follow its leading `*` and `!` re-inclusions, as a test on a
 * path inside an included folder. Only the two shapes the file uses are understood (`**\/<name>` and
 * `**\/*.<extension>`); another shape is refused rather than ignored.
 */
function dockerignoreExclusions(repoRoot: string): (path: string) => boolean {
  const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && line !== '*' && !line.startsWith('!'));
  const names = new Set<string>();
  const extensions: string[] = [];
  for (const line of lines) {
    const extension = /^\*\*\/\*(\.[\w.]+)$/.exec(line);
    const name = /^\*\*\/([\w.-]+)$/.exec(line);
    if (extension) extensions.push(extension[1]!);
    else if (name) names.add(name[1]!);
    else throw new ProductionLayoutError(`.dockerignore pattern ${line} is not understood by this test`);
  }
  return (path) => names.has(basename(path)) || extensions.some((extension) => basename(path).endsWith(extension));
}

/** The build stage: copies its context as the Dockerfile does, runs `npm run build`, returns the directory holding `dist/`. */
export function buildFromDockerContext(repoRoot: string): string {
  const dockerfile = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const build = dockerfile.stages.find((stage) => stage.name === 'build');
  if (!build) throw new ProductionLayoutError('the Dockerfile has no build stage');
  const excluded = dockerignoreExclusions(repoRoot);
  const context = mkdtempSync(join(tmpdir(), 'steward-build-'));
  try {
    copyContextAndBuild(repoRoot, build.instructions, excluded, context);
  } catch (error) {
    removeBuild(context);
    throw error;
  }
  return context;
}

/** Removes a build directory: its node_modules link first, so nothing can reach the checkout's packages. */
export function removeBuild(context: string): void {
  if (existsSync(join(context, 'node_modules'))) unlinkSync(join(context, 'node_modules'));
  rmSync(context, { recursive: true, force: true });
}

function copyContextAndBuild(repoRoot: string, instructions: readonly Instruction[], excluded: (path: string) => boolean, context: string): void {
  for (const copy of instructions.filter((instruction) => instruction.keyword === 'COPY')) {
    const parts = copy.args.split(/\s+/);
    const sources = parts.slice(0, -1);
    const target = parts.at(-1)!;
    for (const source of sources) {
      const into = target === './' ? join(context, basename(source)) : join(context, target);
      cpSync(join(repoRoot, source), into, { recursive: true, filter: (from) => !excluded(from) });
    }
  }
  // What the stage's `npm ci` installs: the whole locked tree, development packages included.
  symlinkSync(join(repoRoot, 'node_modules'), join(context, 'node_modules'));
  const env = { ...process.env, NODE_OPTIONS: '', NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  const result = spawnSync('npm', ['run', 'build'], { cwd: context, encoding: 'utf8', env });
  if (result.status !== 0) throw new ProductionLayoutError(`npm run build in the build stage's context failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Lays the runtime stage out in a fresh directory under the OS temp dir, outside the checkout: module
 * resolution climbs parent directories, and a node_modules above the layout would hide a missing
 * production dependency. `built` holds `dist/` (buildFromDockerContext).
 */
export function createProductionLayout(repoRoot: string, built: string): ProductionLayout {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  for (let dir = tmpdir(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new ProductionLayoutError(`${dir}${sep}node_modules would be visible to a layout under ${tmpdir()}`);
    if (dirname(dir) === dir) break;
  }
  const root = mkdtempSync(join(tmpdir(), 'steward-image-'));
  try {
    return { root, ...copyRuntime(repoRoot, built, root, lock) };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function copyRuntime(repoRoot: string, built: string, root: string, lock: { packages: Record<string, LockEntry> }): Omit<ProductionLayout, 'root'> {
  cpSync(join(built, 'dist'), join(root, 'dist'), { recursive: true });
  // The web console's build, served by the gateway from apps/console/dist under its working directory.
  cpSync(join(built, 'apps', 'console', 'dist'), join(root, 'apps', 'console', 'dist'), { recursive: true });
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
  return { packages, skippedOptional };
}
