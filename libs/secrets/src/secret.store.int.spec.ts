import { createTestEnv, type TestEnv } from '@steward/testing';
import { Keyring, generateMasterKey, parseMasterKey } from './master-key';
import { SecretStore } from './secret.store';
import { SecretsErrorCode } from './secrets.error';

describe('SecretStore (PostgreSQL)', () => {
  let env: TestEnv;
  const oldKey = parseMasterKey(generateMasterKey());
  const newKey = parseMasterKey(generateMasterKey());

  beforeAll(async () => {
    env = await createTestEnv();
    await new SecretStore({ pool: env.pool, keyring: new Keyring(oldKey), schema: 'secrets_test' }).migrate();
  });
  afterAll(async () => env?.dispose());

  const store = (keyring: Keyring) => new SecretStore({ pool: env.pool, keyring, schema: 'secrets_test' });

  it('stores encrypted, reads back only for its owner, masks, deletes by owner', async () => {
    const secrets = store(new Keyring(oldKey));
    await secrets.migrate(); // idempotent
    const info = await secrets.put({ ref: 'sec_a', owner: 'runtime:ws_1:rt_1', value: 'token-PLAINTEXT-abcd' });
    await secrets.put({ ref: 'sec_b', owner: 'runtime:ws_1:rt_1', value: 'second-PLAINTEXT-wxyz' });
    expect(info.hint).toBe('••••abcd');

    const raw = await env.pool.query(`SELECT * FROM secrets_test.secrets`);
    expect(JSON.stringify(raw.rows)).not.toContain('PLAINTEXT');
    expect(raw.rows.map((row) => Buffer.from(row.ciphertext).toString('latin1')).join('')).not.toContain('PLAINTEXT');

    expect(await secrets.get('sec_a', 'runtime:ws_1:rt_1')).toBe('token-PLAINTEXT-abcd');
    expect(await secrets.get('sec_a', 'runtime:ws_2:rt_1')).toBeUndefined();
    expect((await secrets.describe('sec_b', 'runtime:ws_1:rt_1'))?.hint).toBe('••••wxyz');
    await expect(secrets.put({ ref: 'sec_a', owner: 'runtime:ws_2:rt_9', value: 'hijack-attempt' })).rejects.toMatchObject({
      code: SecretsErrorCode.OwnerMismatch,
    });
    expect(await secrets.get('sec_a', 'runtime:ws_1:rt_1')).toBe('token-PLAINTEXT-abcd');

    expect(await secrets.delete('sec_a', 'runtime:ws_2:rt_1')).toBe(false);
    expect(await secrets.deleteOwner('runtime:ws_1:rt_1')).toBe(2);
    expect(await secrets.get('sec_b', 'runtime:ws_1:rt_1')).toBeUndefined();
  });

  it('rotates every secret to the new master key in batches; afterwards the old key is not needed', async () => {
    const before = store(new Keyring(oldKey));
    for (let i = 0; i < 7; i += 1) await before.put({ ref: `sec_r${i}`, owner: 'model:ws_1', value: `api-key-number-${i}-xyz` });

    expect(await store(new Keyring(newKey)).get('sec_r0', 'model:ws_1').catch((error) => error.code)).toBe(SecretsErrorCode.UnknownKey);

    const result = await store(new Keyring(newKey, [oldKey])).rotate({ batchSize: 3 });
    expect(result).toEqual({ rewrapped: 7, current: 0 });
    expect(await store(new Keyring(newKey, [oldKey])).rotate()).toEqual({ rewrapped: 0, current: 7 });

    const after = store(new Keyring(newKey));
    expect(await after.countByKey()).toEqual([{ keyId: newKey.id, secrets: 7 }]);
    const all = await after.getMany(['sec_r0', 'sec_r6', 'sec_missing'], 'model:ws_1');
    expect(Object.fromEntries(all)).toEqual({ sec_r0: 'api-key-number-0-xyz', sec_r6: 'api-key-number-6-xyz' });
  });
});
