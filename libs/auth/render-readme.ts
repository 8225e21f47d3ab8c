// Rewrites the permission table in libs/auth/README.md from the code:
//   npm exec -- node -r @swc-node/register libs/auth/render-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withPermissionTable } from './src/permission-table';

const path = join(__dirname, 'README.md');
writeFileSync(path, withPermissionTable(readFileSync(path, 'utf8')));
