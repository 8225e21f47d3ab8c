import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring, MasterKey } from './master-key';
import { SecretsError, SecretsErrorCode } from './secrets.error';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

/**
 * A secret sealed by envelope encryption: the value is encrypted (AES-256-GCM)
 * with a fresh random data key, and the data key is encrypted (AES-256-GCM)
 * with the master key `keyId`. Rotation re-wraps only the data key. Both are
 * bound to the secret's ref and owner (GCM additional data), so a row copied
 * to another ref or owner does not open.
 */
export interface SealedSecret {
  readonly keyId: string;
  /** iv ‖ tag ‖ encrypted data key. */
  readonly wrappedKey: Buffer;
  /** iv ‖ tag ‖ encrypted value. */
  readonly ciphertext: Buffer;
}

export interface SecretBinding {
  readonly ref: string;
  readonly owner: string;
}

function aad(kind: 'data' | 'key', binding: SecretBinding, keyId?: string): Buffer {
  return Buffer.from(JSON.stringify(['steward-secret', 1, kind, binding.ref, binding.owner, keyId ?? null]), 'utf8');
}

function encrypt(key: Buffer, plaintext: Buffer, additional: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additional);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, sealed: Buffer, additional: Buffer, what: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new SecretsError(SecretsErrorCode.Tampered, `${what} is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(additional);
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw new SecretsError(SecretsErrorCode.Tampered, `${what} does not authenticate`, { cause: error });
  }
}

export function sealSecret(masterKey: MasterKey, binding: SecretBinding, value: string): SealedSecret {
  const dataKey = randomBytes(DATA_KEY_BYTES);
  try {
    return {
      keyId: masterKey.id,
      wrappedKey: encrypt(masterKey.key, dataKey, aad('key', binding, masterKey.id)),
      ciphertext: encrypt(dataKey, Buffer.from(value, 'utf8'), aad('data', binding)),
    };
  } finally {
    dataKey.fill(0);
  }
}

function unwrapDataKey(keyring: Keyring, binding: SecretBinding, sealed: SealedSecret): Buffer {
  const masterKey = keyring.find(sealed.keyId);
  if (!masterKey) {
    throw new SecretsError(
      SecretsErrorCode.UnknownKey,
      `secret ${binding.ref} is sealed with master key ${sealed.keyId}, which this process does not hold (keys: ${keyring.ids.join(', ')})`,
    );
  }
  return decrypt(masterKey.key, sealed.wrappedKey, aad('key', binding, sealed.keyId), `data key of secret ${binding.ref}`);
}

export function openSecret(keyring: Keyring, binding: SecretBinding, sealed: SealedSecret): string {
  const dataKey = unwrapDataKey(keyring, binding, sealed);
  try {
    return decrypt(dataKey, sealed.ciphertext, aad('data', binding), `secret ${binding.ref}`).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** The same secret with its data key wrapped by the keyring's current key (the value is not re-encrypted). */
export function rewrapSecret(keyring: Keyring, binding: SecretBinding, sealed: SealedSecret): SealedSecret {
  if (sealed.keyId === keyring.current.id) return sealed;
  const dataKey = unwrapDataKey(keyring, binding, sealed);
  try {
    // Check the value opens before the old wrapping is thrown away.
    decrypt(dataKey, sealed.ciphertext, aad('data', binding), `secret ${binding.ref}`).fill(0);
    return {
      keyId: keyring.current.id,
      wrappedKey: encrypt(keyring.current.key, dataKey, aad('key', binding, keyring.current.id)),
      ciphertext: sealed.ciphertext,
    };
  } finally {
    dataKey.fill(0);
  }
}
