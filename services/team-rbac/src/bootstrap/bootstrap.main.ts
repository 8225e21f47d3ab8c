/**
 * The bootstrap as a process (run by `npm start` once the gateway is ready, and by the test stack):
 *
 *   node -r @swc-node/register services/team-rbac/src/bootstrap/bootstrap.main.ts [--url <gateway URL>] [--json]
 *   node -r @swc-node/register services/team-rbac/src/bootstrap/bootstrap.main.ts tokens issue --email <email>
 *
 * The first form creates the organization, workspace and owner of an empty system and prints the owner's
 * token (once); `--json` prints one JSON line instead (for programs). The second issues a new user token
 * for an existing member. Environment: DATABASE_URL, NATS_URL, NATS_PREFIX, STEWARD_OWNER_EMAIL,
 * GATEWAY_URL (when --url is not given).
 */
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { loadConfig } from '@steward/config';
import { CommandClient, natsNames } from '@steward/messaging';
import { bootstrapLines, issueTokenForMember, runBootstrap } from './bootstrap';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, json: { type: 'boolean', default: false }, email: { type: 'string' } },
  });
  const config = loadConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 3 });
  try {
    if (positionals[0] === 'tokens') {
      if (positionals[1] !== 'issue' || !values.email) throw new Error('usage: tokens issue --email <email>');
      const issued = await issueTokenForMember(pool, values.email);
      process.stdout.write(`New token for ${issued.email} (${issued.userId}), shown once:\n${issued.token}\n`);
      return;
    }
    if (positionals.length > 0) throw new Error(`unknown command: ${positionals.join(' ')}`);
    Logger.overrideLogger(['error', 'warn']); // the NATS client's connection notices are not for this output
    const commands = new CommandClient({ servers: config.natsUrl, name: 'steward-bootstrap' });
    try {
      const result = await runBootstrap({
        pool,
        commands,
        names: natsNames(config.natsPrefix),
        ...(process.env.STEWARD_OWNER_EMAIL ? { ownerEmail: process.env.STEWARD_OWNER_EMAIL } : {}),
      });
      const url = values.url ?? process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
      if (values.json) process.stdout.write(`${JSON.stringify({ url, ...result })}\n`);
      else process.stdout.write(`${bootstrapLines(result, url).join('\n')}\n`);
    } finally {
      await commands.close();
    }
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error('bootstrap failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
