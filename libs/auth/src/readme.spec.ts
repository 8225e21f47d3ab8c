import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PERMISSION_TABLE_BEGIN, PERMISSION_TABLE_END, renderPermissionTable, withPermissionTable } from './permission-table';
import { ALL_ROLES, permissionMatrix } from './permissions';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

function tableInReadme(): string[][] {
  const section = readme.slice(readme.indexOf(PERMISSION_TABLE_BEGIN) + PERMISSION_TABLE_BEGIN.length, readme.indexOf(PERMISSION_TABLE_END));
  return section
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('README permission table', () => {
  it('is the table rendered from the code (regenerate: npm exec -- node -r @swc-node/register libs/auth/render-readme.ts)', () => {
    expect(readme).toBe(withPermissionTable(readme));
    expect(readme).toContain(renderPermissionTable());
  });

  it('says, cell by cell, what permissionMatrix() says', () => {
    const rows = tableInReadme();
    expect(rows.map((row) => row[0])).toEqual(permissionMatrix().map((entry) => `\`${entry.action}\``));
    for (const [index, entry] of permissionMatrix().entries()) {
      const row = rows[index] as string[];
      expect(row.slice(2, 2 + ALL_ROLES.length)).toEqual(ALL_ROLES.map((role) => (entry.allowed[role] ? '✓' : '–')));
      expect(row[2 + ALL_ROLES.length]).toBe(entry.scopes.length === 0 ? '–' : entry.scopes.map((s) => `\`${s}\``).join(', '));
    }
  });

  it('cannot be rewritten without its markers', () => {
    expect(() => withPermissionTable('no markers here')).toThrow(TypeError);
  });
});
