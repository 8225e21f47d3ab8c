import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { refreshProjectGraph } from './lint';

const root = join(__dirname, '..', '..');
const BOUNDARIES = '@nx/enforce-module-boundaries';

/** The boundary errors eslint reports for `code` as if it were the file at `path` (relative to the root). */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result!.messages.filter((message) => message.ruleId === BOUNDARIES).map((message) => message.message);
}

describe('the walls between contexts (lint)', () => {
  beforeAll(() => {
    expect(refreshProjectGraph()).toBe(true);
  });

  it('fails `npm run lint` on a planted file whose relative import reaches into another service', () => {
    const planted = join(root, 'services/job-history/src/planted-boundary-violation.ts');
    writeFileSync(planted, "import { TeamModule } from '../../team-rbac/src/team-rbac.module';\nexport const planted = TeamModule;\n");
    try {
      const result = spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/lint/lint.ts', planted], { cwd: root, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('planted-boundary-violation.ts');
      expect(result.stdout).toContain(BOUNDARIES);
    } finally {
      rmSync(planted, { force: true });
    }
  }, 120_000);

  it('refuses a relative import from one project into another', async () => {
    const errors = await boundaryErrors('services/gateway/src/planted.ts', "import { main } from '../../job-history/src/main';\nexport const x = main;\n");
    expect(errors).toEqual([expect.stringContaining('cannot be imported by a relative or absolute path')]);
  });

  it('refuses a library importing a service', async () => {
    const errors = await boundaryErrors('libs/config/src/planted.ts', "import { routes } from '../../../services/gateway/src/routes';\nexport const x = routes;\n");
    expect(errors).toHaveLength(1);
  });

  it('refuses a shared library importing a context', async () => {
    const errors = await boundaryErrors('libs/sdk/src/planted.ts', "import { JOBS_SCHEMA } from '@steward/job-history';\nexport const x = JOBS_SCHEMA;\n");
    expect(errors).toEqual([expect.stringContaining('tagged with "type:shared" can only depend on libs tagged with "type:shared"')]);
  });

  it('refuses the published SDK importing any Steward project, a shared one included; its specs may', async () => {
    const eslint = new ESLint({ cwd: root });
    const code = "import { UsageEventSchema } from '@steward/contracts';\nexport const x = UsageEventSchema;\n";
    const rules = async (path: string) => {
      const [result] = await eslint.lintText(code, { filePath: join(root, path) });
      return result!.messages.map((message) => message.ruleId);
    };
    expect(await rules('libs/sdk/src/planted.ts')).toEqual(['no-restricted-imports']);
    expect(await rules('libs/sdk/src/planted.spec.ts')).toEqual([]);
  });

  it('allows a service to use another context through its public entry point', async () => {
    const errors = await boundaryErrors('services/gateway/src/planted.ts', "import { JOBS_SCHEMA } from '@steward/job-history';\nexport const x = JOBS_SCHEMA;\n");
    expect(errors).toEqual([]);
  });
});
