import pg from 'pg';
import { generateMasterKey, loadKeyring } from './master-key';
import { SecretStore } from './secret.store';

export const SECRETS_USAGE = `  npm run steward -- secrets rotate [--batch-size <n>]
  npm run steward -- secrets status
  npm run steward -- secrets generate-key`;

/**
 * `steward secrets …` (the operator's CLI, tools/cli/steward.ts):
 * - `rotate`: re-wraps every secret with STEWARD_MASTER_KEY; the keys secrets
 *   were sealed with before go in STEWARD_MASTER_KEY_PREVIOUS (comma-separated).
 * - `status`: how many secrets each master key id seals, and the current id.
 * - `generate-key`: prints a new random master key (base64 of 32 bytes).
 * Returns the exit code: 0 done, 1 failed, 2 bad usage.
 */
export async function runSecretsCommand(args: readonly string[], databaseUrl: string): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'generate-key') {
    process.stdout.write(`${generateMasterKey()}\n`);
    return 0;
  }
  if (command !== 'rotate' && command !== 'status') {
    process.stderr.write(`usage:\n${SECRETS_USAGE}\n`);
    return 2;
  }
  let batchSize: number | undefined;
  if (rest[0] === '--batch-size') {
    batchSize = Number(rest[1]);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      process.stderr.write('--batch-size must be a positive integer\n');
      return 2;
    }
  } else if (rest.length > 0) {
    process.stderr.write(`unexpected arguments: ${rest.join(' ')}\nusage:\n${SECRETS_USAGE}\n`);
    return 2;
  }
  const keyring = loadKeyring({ logger: { warn: (_fields, message) => process.stderr.write(`warning: ${message}\n`) } });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const store = new SecretStore({ pool, keyring });
    await store.migrate();
    if (command === 'rotate') {
      const result = await store.rotate(batchSize ? { batchSize } : {});
      process.stdout.write(
        `rotated ${result.rewrapped} secret(s) to master key ${keyring.current.id}; ${result.current} already on it\n`,
      );
    } else {
      process.stdout.write(`current master key ${keyring.current.id}\n`);
      for (const row of await store.countByKey()) process.stdout.write(`${row.keyId}\t${row.secrets}\n`);
    }
    return 0;
  } finally {
    await pool.end();
  }
}
