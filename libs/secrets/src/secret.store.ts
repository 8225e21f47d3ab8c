import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { openSecret, rewrapSecret, sealSecret, type SealedSecret, type SecretBinding } from './envelope-cipher';
import type { Keyring } from './master-key';
import { maskSecret } from './secret-mask';
import { SecretsError, SecretsErrorCode } from './secrets.error';

export const DEFAULT_SECRETS_SCHEMA = 'steward_secrets';

export interface SecretStoreOptions {
  readonly pool: pg.Pool;
  readonly keyring: Keyring;
  /** PostgreSQL schema of the `secrets` table. Default `STEWARD_SECRETS_SCHEMA`, else `steward_secrets`. */
  readonly schema?: string;
}

export interface PutSecret {
  /** The secret's reference: what events and read models carry instead of the value. */
  readonly ref: string;
  /** Who the secret belongs to, e.g. `runtime:<workspaceId>:<runtimeId>`; deleting the owner deletes its secrets. */
  readonly owner: string;
  readonly value: string;
}

export interface StoredSecretInfo {
  readonly ref: string;
  readonly owner: string;
  /** `••••` + the last 4 characters: the only thing about a secret that is ever shown. */
  readonly hint: string;
  readonly keyId: string;
}

export interface RotationResult {
  /** Secrets whose data key was re-wrapped with the current master key. */
  readonly rewrapped: number;
  /** Secrets already sealed with the current key. */
  readonly current: number;
}

const MAX_REF = 200;
const MAX_OWNER = 300;
const MAX_VALUE_BYTES = 64 * 1024;

/** A fresh random secret reference, `sec_<32 hex>`. */
export function newSecretRef(): string {
  return `sec_${randomUUID().replace(/-/g, '')}`;
}

/** A deterministic secret reference from parts (e.g. an owner, a field and a command id), so a retried write reuses it. */
export function secretRefFor(...parts: string[]): string {
  return `sec_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}

interface SecretRow {
  ref: string;
  owner: string;
  key_id: string;
  wrapped_key: Buffer;
  ciphertext: Buffer;
  hint: string;
}

/**
 * Secrets encrypted at rest in PostgreSQL (AES-256-GCM envelope encryption,
 * see envelope-cipher.ts). Every read and delete names the owner: a ref of
 * another owner is not found. Values never appear in errors or logs.
 */
export class SecretStore {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly keyring: Keyring;
  private readonly table: string;

  constructor(options: SecretStoreOptions) {
    this.pool = options.pool;
    this.keyring = options.keyring;
    this.schema = options.schema ?? process.env.STEWARD_SECRETS_SCHEMA ?? DEFAULT_SECRETS_SCHEMA;
    if (!/^[a-z_][a-z0-9_]{0,39}$/.test(this.schema)) {
      throw new SecretsError(SecretsErrorCode.InvalidArgument, `secrets schema "${this.schema}" is not a plain lower-case identifier`);
    }
    this.table = `"${this.schema}".secrets`;
  }

  /** Creates the schema and table. Idempotent; concurrent runs serialise on an advisory lock. */
  async migrate(): Promise<void> {
    await migrateSecretStore(this.pool, this.schema);
  }

  /**
   * Stores (or replaces) the secret `ref` of `owner`, sealed with the current
   * master key. Writing a ref that belongs to another owner is refused.
   * Returns the masked hint.
   */
  async put(secret: PutSecret): Promise<StoredSecretInfo> {
    checkBinding(secret);
    if (typeof secret.value !== 'string' || secret.value.length === 0 || Buffer.byteLength(secret.value) > MAX_VALUE_BYTES) {
      throw new SecretsError(SecretsErrorCode.InvalidArgument, `secret ${secret.ref}: the value must be 1 to ${MAX_VALUE_BYTES} bytes`);
    }
    const sealed = sealSecret(this.keyring.current, secret, secret.value);
    const hint = maskSecret(secret.value);
    const { rows } = await this.pool.query<{ owner: string }>(
      `INSERT INTO ${this.table} AS s (ref, owner, key_id, wrapped_key, ciphertext, hint)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (ref) DO UPDATE
         SET key_id = EXCLUDED.key_id, wrapped_key = EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext,
             hint = EXCLUDED.hint, updated_at = now()
         WHERE s.owner = EXCLUDED.owner
       RETURNING owner`,
      [secret.ref, secret.owner, sealed.keyId, sealed.wrappedKey, sealed.ciphertext, hint],
    );
    if (rows.length === 0) {
      throw new SecretsError(SecretsErrorCode.OwnerMismatch, `secret ${secret.ref} belongs to another owner`);
    }
    return { ref: secret.ref, owner: secret.owner, hint, keyId: sealed.keyId };
  }

  /** The plaintext of `ref` if `owner` holds it, else undefined. */
  async get(ref: string, owner: string): Promise<string | undefined> {
    checkBinding({ ref, owner });
    const { rows } = await this.pool.query<SecretRow>(
      `SELECT ref, owner, key_id, wrapped_key, ciphertext, hint FROM ${this.table} WHERE ref = $1 AND owner = $2`,
      [ref, owner],
    );
    const row = rows[0];
    return row ? openSecret(this.keyring, row, sealedOf(row)) : undefined;
  }

  /** Several secrets of one owner at once: ref → plaintext, missing refs left out. */
  async getMany(refs: readonly string[], owner: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (refs.length === 0) return found;
    const { rows } = await this.pool.query<SecretRow>(
      `SELECT ref, owner, key_id, wrapped_key, ciphertext, hint FROM ${this.table} WHERE ref = ANY($1::text[]) AND owner = $2`,
      [refs, owner],
    );
    for (const row of rows) found.set(row.ref, openSecret(this.keyring, row, sealedOf(row)));
    return found;
  }

  /** What may be shown about `ref` (hint, key id) without opening it. */
  async describe(ref: string, owner: string): Promise<StoredSecretInfo | undefined> {
    const { rows } = await this.pool.query<SecretRow>(`SELECT ref, owner, key_id, hint FROM ${this.table} WHERE ref = $1 AND owner = $2`, [
      ref,
      owner,
    ]);
    const row = rows[0];
    return row ? { ref: row.ref, owner: row.owner, hint: row.hint, keyId: row.key_id } : undefined;
  }

  /** Deletes `ref` if `owner` holds it. True when something was deleted. */
  async delete(ref: string, owner: string): Promise<boolean> {
    checkBinding({ ref, owner });
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.table} WHERE ref = $1 AND owner = $2`, [ref, owner]);
    return (rowCount ?? 0) > 0;
  }

  /** Deletes every secret of `owner` (the owner itself was deleted). Returns how many. */
  async deleteOwner(owner: string): Promise<number> {
    checkBinding({ ref: 'x', owner });
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.table} WHERE owner = $1`, [owner]);
    return rowCount ?? 0;
  }

  /** How many secrets are sealed with each master key id (the CLI's `secrets status`). */
  async countByKey(): Promise<Array<{ keyId: string; secrets: number }>> {
    const { rows } = await this.pool.query<{ key_id: string; n: string }>(
      `SELECT key_id, count(*)::text AS n FROM ${this.table} GROUP BY key_id ORDER BY key_id`,
    );
    return rows.map((row) => ({ keyId: row.key_id, secrets: Number(row.n) }));
  }

  /**
   * Key rotation: re-wraps the data key of every secret not sealed with the
   * keyring's current key, in batches of `batchSize`, each batch one
   * transaction (rows locked, concurrent rotations skip each other's rows).
   * Safe to interrupt and run again. A secret sealed with a key the keyring
   * does not hold fails the rotation with UNKNOWN_KEY (add the old key to
   * STEWARD_MASTER_KEY_PREVIOUS).
   */
  async rotate(options: { batchSize?: number } = {}): Promise<RotationResult> {
    const batchSize = options.batchSize ?? 500;
    const currentId = this.keyring.current.id;
    let rewrapped = 0;
    for (;;) {
      const client = await this.pool.connect();
      let done: number;
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<SecretRow>(
          `SELECT ref, owner, key_id, wrapped_key, ciphertext, hint FROM ${this.table}
           WHERE key_id <> $1 ORDER BY ref LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [currentId, batchSize],
        );
        for (const row of rows) {
          const next = rewrapSecret(this.keyring, row, sealedOf(row));
          await client.query(`UPDATE ${this.table} SET key_id = $2, wrapped_key = $3, updated_at = now() WHERE ref = $1`, [
            row.ref,
            next.keyId,
            next.wrappedKey,
          ]);
        }
        await client.query('COMMIT');
        done = rows.length;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      rewrapped += done;
      if (done < batchSize) break;
    }
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.table} WHERE key_id = $1`, [currentId]);
    return { rewrapped, current: Number(rows[0]?.n ?? 0) - rewrapped };
  }
}

/**
 * Creates the secrets schema and table (what `npm start`'s migration runs; it
 * needs no master key). Idempotent; concurrent runs serialise on an advisory lock.
 */
export async function migrateSecretStore(pool: pg.Pool, schema: string = process.env.STEWARD_SECRETS_SCHEMA ?? DEFAULT_SECRETS_SCHEMA): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,39}$/.test(schema)) {
    throw new SecretsError(SecretsErrorCode.InvalidArgument, `secrets schema "${schema}" is not a plain lower-case identifier`);
  }
  const table = `"${schema}".secrets`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`steward-secrets:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        ref          text PRIMARY KEY,
        owner        text NOT NULL,
        key_id       text NOT NULL,
        wrapped_key  bytea NOT NULL,
        ciphertext   bytea NOT NULL,
        hint         text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS secrets_owner_idx ON ${table} (owner)`);
    await client.query(`CREATE INDEX IF NOT EXISTS secrets_key_id_idx ON ${table} (key_id)`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function sealedOf(row: SecretRow): SealedSecret {
  return { keyId: row.key_id, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext };
}

function checkBinding(binding: SecretBinding): void {
  if (typeof binding.ref !== 'string' || binding.ref.length === 0 || binding.ref.length > MAX_REF) {
    throw new SecretsError(SecretsErrorCode.InvalidArgument, `a secret ref is 1 to ${MAX_REF} characters`);
  }
  if (typeof binding.owner !== 'string' || binding.owner.length === 0 || binding.owner.length > MAX_OWNER) {
    throw new SecretsError(SecretsErrorCode.InvalidArgument, `a secret owner is 1 to ${MAX_OWNER} characters`);
  }
}
