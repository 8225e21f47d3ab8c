import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSecret, rewrapSecret, sealSecret } from './envelope-cipher';
import { Keyring, generateMasterKey, loadKeyring, parseMasterKey } from './master-key';
import { maskSecret } from './secret-mask';
import { SecretsErrorCode } from './secrets.error';

const binding = { ref: 'sec_1', owner: 'runtime:ws_1:rt_1' };
const quiet = { warn: () => undefined };

describe('envelope encryption', () => {
  const keyring = new Keyring(parseMasterKey(generateMasterKey()));

  it('opens what it sealed, and the ciphertext does not contain the value', () => {
    const sealed = sealSecret(keyring.current, binding, 'dapi-super-secret-token-1234');
    expect(openSecret(keyring, binding, sealed)).toBe('dapi-super-secret-token-1234');
    expect(sealed.ciphertext.toString('latin1')).not.toContain('super-secret');
    expect(sealed.keyId).toBe(keyring.current.id);
  });

  it('refuses a sealed secret moved to another ref or owner, or altered', () => {
    const sealed = sealSecret(keyring.current, binding, 'value-of-the-secret');
    expect(() => openSecret(keyring, { ...binding, owner: 'runtime:ws_2:rt_1' }, sealed)).toThrow(
      expect.objectContaining({ code: SecretsErrorCode.Tampered }),
    );
    expect(() => openSecret(keyring, { ...binding, ref: 'sec_2' }, sealed)).toThrow(expect.objectContaining({ code: SecretsErrorCode.Tampered }));
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => openSecret(keyring, binding, { ...sealed, ciphertext: flipped })).toThrow(
      expect.objectContaining({ code: SecretsErrorCode.Tampered }),
    );
  });

  it('re-wraps under a new master key; the old key is then no longer needed', () => {
    const old = parseMasterKey(generateMasterKey());
    const sealed = sealSecret(old, binding, 'rotate-me-please');
    const next = parseMasterKey(generateMasterKey());
    const rotated = rewrapSecret(new Keyring(next, [old]), binding, sealed);
    expect(rotated.keyId).toBe(next.id);
    expect(openSecret(new Keyring(next), binding, rotated)).toBe('rotate-me-please');
    expect(() => openSecret(new Keyring(next), binding, sealed)).toThrow(expect.objectContaining({ code: SecretsErrorCode.UnknownKey }));
  });
});

describe('maskSecret', () => {
  it('shows only the last 4 characters of a long secret, nothing of a short one', () => {
    expect(maskSecret('sk-live-0123456789abcd')).toBe('••••abcd');
    expect(maskSecret('short')).toBe('••••');
  });
});

describe('loadKeyring', () => {
  it('reads STEWARD_MASTER_KEY and names a bad one', () => {
    const key = generateMasterKey();
    expect(loadKeyring({ env: { STEWARD_MASTER_KEY: key } }).current.id).toBe(parseMasterKey(key).id);
    expect(() => loadKeyring({ env: { STEWARD_MASTER_KEY: 'dG9vIHNob3J0' } })).toThrow(/STEWARD_MASTER_KEY must be 32 bytes/);
  });

  it('requires STEWARD_MASTER_KEY in production', () => {
    expect(() => loadKeyring({ env: { NODE_ENV: 'production' }, dataDir: mkdtempSync(join(tmpdir(), 'keys-')) })).toThrow(
      expect.objectContaining({ code: SecretsErrorCode.InvalidMasterKey }),
    );
  });

  it('in development generates a key once, keeps it in the data dir (mode 600) and warns', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keys-'));
    const warnings: string[] = [];
    const logger = { warn: (_fields: Record<string, unknown>, message: string) => warnings.push(message) };
    const first = loadKeyring({ env: { NODE_ENV: 'development' }, dataDir, logger });
    const second = loadKeyring({ env: {}, dataDir, logger: quiet });
    expect(second.current.id).toBe(first.current.id);
    expect(parseMasterKey(readFileSync(join(dataDir, 'master.key'), 'utf8')).id).toBe(first.current.id);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(warnings.join('\n')).toMatch(/STEWARD_MASTER_KEY is not set/);
  });

  it('holds previous keys for rotation', () => {
    const old = generateMasterKey();
    const keyring = loadKeyring({ env: { STEWARD_MASTER_KEY: generateMasterKey(), STEWARD_MASTER_KEY_PREVIOUS: old } });
    expect(keyring.find(parseMasterKey(old).id)).toBeDefined();
    expect(keyring.ids).toHaveLength(2);
  });
});
