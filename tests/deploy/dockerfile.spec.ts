/**
 * The Dockerfile and .dockerignore, checked without Docker: the stages build what
 * tests/deploy/image-layout.e2e.spec.ts starts, and a Dockerfile linter (dockerfile-utils, the
 * validator of the Dockerfile language server, which reports what the Docker builder would refuse)
 * finds nothing. The linter is an npm package: when it is not installed, that one suite reports itself
 * skipped, by name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entrypointTargets } from '../../tools/entrypoint';
import { execForm, parseDockerfile, type Instruction, type Stage } from './dockerfile';

const ROOT = join(__dirname, '..', '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const parsed = parseDockerfile(DOCKERFILE);
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };

function stage(name: string): Stage {
  const found = parsed.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no stage ${name} in the Dockerfile`);
  return found;
}

function only(stageName: string, keyword: string): Instruction {
  const found = stage(stageName).instructions.filter((instruction) => instruction.keyword === keyword);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function runs(stageName: string): string[] {
  return stage(stageName)
    .instructions.filter((instruction) => instruction.keyword === 'RUN')
    .map((instruction) => instruction.args);
}

describe('Dockerfile', () => {
  const runtime = parsed.stages.at(-1)!;

  it('builds in stages on the Node 24 the repository pins, and ships only the last', () => {
    expect(parsed.stages.map((candidate) => candidate.name)).toEqual(['build', 'deps', 'runtime']);
    const image = parsed.globalArgs.NODE_IMAGE;
    expect(image).toBe(`node:${packageJson.devDependencies.node}-bookworm-slim`);
    expect(packageJson.devDependencies.node).toMatch(/^24\./);
    for (const candidate of parsed.stages) expect(candidate.from).toBe('${NODE_IMAGE}');
  });

  it('compiles with npm run build, and installs production dependencies only, from the lock', () => {
    expect(runs('build')).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']));
    expect(runs('deps')).toEqual([expect.stringMatching(/^npm ci --omit=dev --ignore-scripts\b/)]);
    expect(runs('runtime')).toEqual([]);
    const copies = runtime.instructions.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args);
    expect(copies).toEqual([
      '--from=deps /app/node_modules ./node_modules',
      '--from=build /src/dist ./dist',
      '--from=build /src/apps/console/dist ./apps/console/dist',
      'package.json ./',
    ]);
    // The entry point, the health check and migrate are compiled by the build script the build stage runs.
    for (const source of ['tools/entrypoint.ts', 'tools/healthcheck.ts', 'tools/migrate.ts', 'tools/cli']) {
      expect(packageJson.scripts.build).toContain(source);
    }
  });

  it('runs as a non-root user, by number, in production mode', () => {
    const user = only('runtime', 'USER').args;
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const env = runtime.instructions.filter((instruction) => instruction.keyword === 'ENV').map((instruction) => instruction.args).join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bGATEWAY_HOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bSTEWARD_OPS_HOST=0\.0\.0\.0\b/);
    const opsPort = /\bSTEWARD_OPS_PORT=(\d+)/.exec(env)?.[1];
    const apiPort = /\bPORT=(\d+)/.exec(env.replace(/STEWARD_OPS_PORT=\d+/, ''))?.[1];
    expect(only('runtime', 'EXPOSE').args.split(/\s+/).sort()).toEqual([apiPort, opsPort].sort());
  });

  it('chooses the process by argument through the one entry point, and checks health on /readyz', () => {
    expect(execForm(only('runtime', 'ENTRYPOINT').args)).toEqual(['node', 'dist/tools/entrypoint.js']);
    const command = execForm(only('runtime', 'CMD').args);
    expect(command).toHaveLength(1);
    expect(Object.keys(entrypointTargets())).toContain(command![0]);
    const healthcheck = only('runtime', 'HEALTHCHECK').args;
    expect(healthcheck).toMatch(/--start-period=\d+s/);
    expect(execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3))).toEqual(['node', 'dist/tools/healthcheck.js']);
  });

  it('copies from the build context only what .dockerignore lets in, which keeps secrets and artefacts out', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = new Set(ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, '')));
    const contextSources = parsed.stages
      .flatMap((candidate) => candidate.instructions)
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.startsWith('--from='))
      .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));
    expect(contextSources.length).toBeGreaterThan(5);
    for (const source of contextSources) {
      expect({ source, exists: existsSync(join(ROOT, source)), allowed: allowed.has(source) }).toEqual({ source, exists: true, allowed: true });
    }
    for (const excluded of ['**/.steward', '**/.env', '**/node_modules', '**/dist', '**/*.spec.ts']) expect(ignore).toContain(excluded);
  });
});

interface Diagnostic {
  readonly message: string;
  readonly severity?: number;
  readonly range: { readonly start: { readonly line: number } };
}
type Validate = (content: string, settings?: Record<string, number>) => Diagnostic[];

function loadLinter(): Validate | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('dockerfile-utils') as { validate: Validate }).validate;
  } catch {
    return undefined;
  }
}

const validate = loadLinter();
const LINTER = 'dockerfile-utils';

(validate ? describe : describe.skip)(`${LINTER}${validate ? '' : ' (not installed: npm install --save-dev dockerfile-utils@0.16.3)'}`, () => {
  it('finds no problem in the Dockerfile, with every optional rule turned into an error', () => {
    const ERROR = 2; // ValidationSeverity.ERROR
    const diagnostics = validate!(DOCKERFILE, {
      deprecatedMaintainer: ERROR,
      directiveCasing: ERROR,
      emptyContinuationLine: ERROR,
      instructionCasing: ERROR,
      instructionCmdMultiple: ERROR,
      instructionEntrypointMultiple: ERROR,
      instructionHealthcheckMultiple: ERROR,
      instructionJSONInSingleQuotes: ERROR,
      instructionWorkdirRelative: ERROR,
    });
    expect(diagnostics.map((diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`)).toEqual([]);
  });

  it('does report a Dockerfile the builder would refuse (the linter is live)', () => {
    const diagnostics = validate!('FROM node:24-bookworm-slim\nHEALTHCHECK --interval=10 CMD true\nCOPY onlyone\n');
    expect(diagnostics.length).toBeGreaterThanOrEqual(2);
  });
});
