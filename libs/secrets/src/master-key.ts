import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SecretsError, SecretsErrorCode } from './secrets.error';

/** A 32-byte AES-256 master key and its id (derived from the key, so it needs no configuration). */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

/** Warnings of the key loader; pino's `warn(fields, message)` fits. */
export interface SecretsLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

const KEY_BYTES = 32;

/** `mk_` + the first 16 hex digits of SHA-256(key): names a key in the table and in logs without revealing it. */
export function masterKeyId(key: Buffer): string {
  return `mk_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Parses a base64 (or base64url) master key; it must decode to exactly 32 bytes. */
export function parseMasterKey(text: string, variable = 'STEWARD_MASTER_KEY'): MasterKey {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/=_-]+$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new SecretsError(SecretsErrorCode.InvalidMasterKey, `${variable} must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
  }
  return { id: masterKeyId(key), key };
}

/** A new random master key, base64: what `steward secrets generate-key` prints. */
export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * The master keys a process holds: the current one (seals every new secret and
 * is what rotation moves secrets to) and older ones that still open secrets
 * sealed before a rotation.
 */
export class Keyring {
  private readonly byId: ReadonlyMap<string, MasterKey>;

  constructor(
    readonly current: MasterKey,
    previous: readonly MasterKey[] = [],
  ) {
    this.byId = new Map([...previous, current].map((key) => [key.id, key]));
  }

  find(id: string): MasterKey | undefined {
    return this.byId.get(id);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}

export interface LoadKeyringOptions {
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the development key file lives. Default `STEWARD_DATA_DIR`, else `.steward` in the working directory. */
  readonly dataDir?: string;
  readonly logger?: SecretsLogger;
}

const DEVELOPMENT_ENVIRONMENTS = new Set(['', 'development', 'test']);

/**
 * The keyring from the environment:
 * - `STEWARD_MASTER_KEY`: the current key, base64 of 32 bytes. Required when
 *   NODE_ENV is anything but unset, `development` or `test`.
 * - `STEWARD_MASTER_KEY_PREVIOUS`: optional, comma-separated older keys
 *   (during and after a rotation).
 * Without STEWARD_MASTER_KEY in development, a key is generated once into
 * `<dataDir>/master.key` (mode 600) and read from there afterwards, with a
 * warning: losing that file loses every secret sealed with it.
 */
export function loadKeyring(options: LoadKeyringOptions = {}): Keyring {
  const env = options.env ?? process.env;
  const previous = (env.STEWARD_MASTER_KEY_PREVIOUS ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => parseMasterKey(part, 'STEWARD_MASTER_KEY_PREVIOUS'));
  const configured = env.STEWARD_MASTER_KEY?.trim();
  if (configured) return new Keyring(parseMasterKey(configured), previous);

  const nodeEnv = env.NODE_ENV ?? '';
  if (!DEVELOPMENT_ENVIRONMENTS.has(nodeEnv)) {
    throw new SecretsError(
      SecretsErrorCode.InvalidMasterKey,
      `STEWARD_MASTER_KEY is required when NODE_ENV=${nodeEnv} (base64 of 32 random bytes: openssl rand -base64 32)`,
    );
  }
  const file = join(resolve(options.dataDir ?? env.STEWARD_DATA_DIR ?? '.steward'), 'master.key');
  const current = readOrCreateKeyFile(file);
  const warn = options.logger
    ? options.logger.warn.bind(options.logger)
    : (fields: Record<string, unknown>, message: string) => console.warn(`warning: ${message}`, JSON.stringify(fields));
  warn(
    { file, keyId: current.id },
    'STEWARD_MASTER_KEY is not set: using the development master key kept in this file; set STEWARD_MASTER_KEY outside development',
  );
  return new Keyring(current, previous);
}

function readOrCreateKeyFile(file: string): MasterKey {
  try {
    return parseMasterKey(readFileSync(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx': two processes starting at once — one creates, the other reads what it wrote.
    writeFileSync(file, `${generateMasterKey()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readWhenComplete(file);
}

function readWhenComplete(file: string): MasterKey {
  // The creator writes 45 bytes in one call; a reader racing it may see an empty file for an instant.
  for (let attempt = 0; ; attempt += 1) {
    const text = readFileSync(file, 'utf8');
    if (text.trim() || attempt >= 50) return parseMasterKey(text, file);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
