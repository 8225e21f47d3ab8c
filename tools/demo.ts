/**
 * `npm run demo`: loads the demo organization into a running Steward, through its public API and the SDK
 * (tools/demo/demo-loader.ts), then prints the console URL, the ids and a sign-in token per role.
 *
 *   npm run demo -- [--url http://127.0.0.1:8080] [--token stu_…] [--state .steward/demo.json] [--json]
 *
 * The owner's token: `--token`, else STEWARD_TOKEN, else the one an earlier run kept in the state file for
 * this URL. `npm start -- --demo` runs it after the bootstrap with the owner's token. Exit 0 loaded, 1 failed,
 * 2 bad usage (no token).
 */
// first: the SDK's sources load under @swc-node/register
import './demo/sdk-resolve';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDemo, type DemoLoadResult } from './demo/demo-loader';
import { DemoState } from './demo/demo-state';

export const DEFAULT_DEMO_STATE = join(process.cwd(), '.steward', 'demo.json');

export function demoLines(url: string, result: DemoLoadResult): string[] {
  const base = url.replace(/\/$/, '');
  const row = (label: string, value: string) => `${label.padEnd(24)}${value}`;
  const lines = [
    'Steward demo data loaded',
    row('Console', `${base}/`),
    row('API docs', `${base}/docs`),
    row('Organization', result.organizationId),
    ...Object.entries(result.workspaces).map(([key, id]) => row(`Workspace (${key})`, id)),
    '',
    'Sign in as (paste the token in the console, or send "Authorization: Bearer <token>"):',
  ];
  for (const person of result.people) {
    const hint = person.email ? `npm run user-token -- --email ${person.email}` : 'npm run user-token -- --email <email>';
    lines.push(`${person.role.padEnd(8)} ${(person.email ?? '').padEnd(42)} ${person.token ?? `(not kept; a new one: ${hint})`}`);
  }
  for (const notice of result.notices) lines.push('', `Note: ${notice}`);
  lines.push('', `Loaded in ${result.seconds.toFixed(1)} s; a second run adds nothing.`);
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      state: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const url = (values.url ?? process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`).replace(/\/$/, '');
  const state = new DemoState(values.state ?? process.env.STEWARD_DEMO_STATE ?? DEFAULT_DEMO_STATE);
  const secrets = state.load(url);
  const ownerToken = values.token ?? process.env.STEWARD_TOKEN ?? secrets.tokens.owner;
  if (!ownerToken) {
    process.stderr.write('demo: no owner token: give --token <stu_…> (the token `npm start` printed) or set STEWARD_TOKEN\n');
    process.exit(2);
  }
  try {
    const result = await loadDemo({ url, ownerToken, secrets, log: (line) => process.stderr.write(`[demo] ${line}\n`) });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const rule = '='.repeat(78);
      process.stdout.write(`\n${rule}\n${demoLines(url, result).join('\n')}\n${rule}\n\n`);
    }
  } finally {
    // what the API showed once (tokens, keys) is kept even when a later step failed
    state.save(url, secrets);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
