import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { UsageStreams, eventIdFor, type Actor, type UsageCommandAnswer, type UsageCommandInput, type UsageCommandType } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { CommandClient, MessagingError, commandTransportOptions, natsNames, type NatsNames } from '@steward/messaging';
import { Keyring, SecretStore, generateMasterKey, parseMasterKey } from '@steward/secrets';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { modelKeyOwner } from './model-settings.command-service';
import { ModelSettingsModule } from './model-settings.module';
import { ModelSettingsPriceLookup } from './model-settings.price-lookup';
import { seedWorkspace } from './model-settings.test-support';

const user = (id: string): Actor => ({ type: 'user', id });
type Outcome = { ok: true; answer: UsageCommandAnswer } | { ok: false; code: string; message: string };

describe('model settings over NATS against PostgreSQL', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let secrets: SecretStore;
  let names: NatsNames;
  let app: INestMicroservice;
  let client: CommandClient;
  let workspaceId: string;

  async function send<T extends UsageCommandType>(type: T, payload: UsageCommandInput<T>, actor: Actor, commandId = randomUUID()): Promise<Outcome> {
    try {
      const answer = await client.send<UsageCommandAnswer>(
        names.commandSubject('usage', type),
        { commandId, type, actor, issuedAt: new Date().toISOString(), payload },
        { timeoutMs: 10_000 },
      );
      return { ok: true, answer };
    } catch (error) {
      if (MessagingError.is(error) && error.details.error && typeof error.details.error === 'object') {
        const body = error.details.error as { code: string; message: string };
        return { ok: false, code: body.code, message: body.message };
      }
      throw error;
    }
  }

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    secrets = new SecretStore({ pool: env.pool, keyring: new Keyring(parseMasterKey(generateMasterKey())) });
    await secrets.migrate();
    names = natsNames(env.natsPrefix);
    app = await NestFactory.createMicroservice(ModelSettingsModule.register({ store, names, vault: secrets }), {
      ...commandTransportOptions({ servers: env.natsUrl, queue: `usage-${env.id}` }),
      logger: false,
    });
    await app.listen();
    client = new CommandClient({ servers: env.natsUrl, name: 'models-int-test' });
    ({ workspaceId } = await seedWorkspace(store, { 'u-admin': 'admin', 'u-member': 'member' }));
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await store?.close();
    await env?.dispose();
  });

  it('an admin sets a price; the lookup answers it at once, by effective-from', async () => {
    const lookup = new ModelSettingsPriceLookup({ store });
    expect(await lookup.find(workspaceId, 'openai', 'gpt-4o', new Date())).toBeUndefined();
    const first = await send(
      'SetModelPricing',
      { workspaceId, provider: 'OpenAI', model: 'gpt-4o', unitPrices: { input: '0.0000025', output: '0.00001' }, effectiveFrom: '2026-01-01T00:00:00Z' },
      user('u-admin'),
    );
    expect(first).toMatchObject({ ok: true, answer: { changed: true, events: [{ type: 'ModelPricingSet', streamId: UsageStreams.models(workspaceId) }] } });
    expect(await lookup.find(workspaceId, 'openai', 'gpt-4o', new Date('2026-03-01T00:00:00Z'))).toEqual({
      unitPrices: { input: '0.0000025', output: '0.00001' },
      ref: '2026-01-01T00:00:00.000Z',
    });
    // a later price, set now: the cached settings are refolded because the stream moved
    await send(
      'SetModelPricing',
      { workspaceId, provider: 'openai', model: 'gpt-4o', unitPrices: { input: '0.000003', output: '0.000012' }, effectiveFrom: '2026-06-01T00:00:00Z' },
      user('u-admin'),
    );
    expect((await lookup.find(workspaceId, 'openai', 'gpt-4o', new Date('2026-03-01T00:00:00Z')))?.unitPrices.input).toBe('0.0000025');
    expect((await lookup.find(workspaceId, 'openai', 'gpt-4o', new Date('2026-07-01T00:00:00Z')))?.unitPrices.input).toBe('0.000003');
    expect(await lookup.find(workspaceId, 'openai', 'gpt-4o', new Date('2025-12-31T00:00:00Z'))).toBeUndefined();
    expect(await lookup.find(workspaceId, 'anthropic', 'gpt-4o', new Date('2026-07-01T00:00:00Z'))).toBeUndefined();
    const snapshot = await lookup.snapshot(workspaceId);
    expect(snapshot.find('openai', 'gpt-4o', new Date('2026-07-01T00:00:00Z'))).toEqual({
      unitPrices: { input: '0.000003', output: '0.000012' },
      ref: '2026-06-01T00:00:00.000Z',
    });
  });

  it('a resent command appends nothing new', async () => {
    const commandId = randomUUID();
    const payload = { workspaceId, provider: 'openai', model: 'gpt-4o-mini', unitPrices: { input: '1', output: '2' } };
    const first = await send('SetModelPricing', payload, user('u-admin'), commandId);
    const again = await send('SetModelPricing', payload, user('u-admin'), commandId);
    expect(again).toMatchObject({ ok: true, answer: { replayed: true, changed: true } });
    expect(first.ok && again.ok && again.answer.events).toEqual(first.ok && first.answer.events);
    const ids = (await store.readStream(UsageStreams.models(workspaceId))).map((event) => event.eventId);
    expect(ids.filter((id) => id === eventIdFor(commandId, 0))).toHaveLength(1);
  });

  it('refuses members (403), outsiders and unknown workspaces (404), API keys (403) and bad prices (400) — appending nothing', async () => {
    const before = (await store.readStream(UsageStreams.models(workspaceId))).length;
    const payload = { workspaceId, provider: 'openai', model: 'gpt-4o', unitPrices: { input: '1', output: '1' } };
    expect(await send('SetModelPricing', payload, user('u-member'))).toMatchObject({ ok: false, code: 'MODELS_FORBIDDEN' });
    expect(await send('SetModelPricing', payload, user('u-stranger'))).toMatchObject({ ok: false, code: 'MODELS_NOT_FOUND' });
    expect(await send('SetModelPricing', payload, { type: 'api_key', id: 'key-1' })).toMatchObject({ ok: false, code: 'MODELS_FORBIDDEN' });
    expect(await send('SetModelPricing', { ...payload, workspaceId: 'ws-nope' }, user('u-admin'))).toMatchObject({ ok: false, code: 'MODELS_NOT_FOUND' });
    expect(await send('SetModelPricing', { ...payload, unitPrices: { input: '-1', output: '1' } }, user('u-admin'))).toMatchObject({
      ok: false,
      code: 'MODELS_INVALID_COMMAND',
    });
    expect(await send('SetModelPricing', { ...payload, unitPrices: { input: '1e-6', output: '1' } }, user('u-admin'))).toMatchObject({
      ok: false,
      code: 'MODELS_INVALID_COMMAND',
    });
    expect((await store.readStream(UsageStreams.models(workspaceId))).length).toBe(before);
  });

  it('an API key is sealed in the secret store; events carry only a ref and a hint; replaced and cleared keys are deleted', async () => {
    const key = 'sk-proj-PLAINTEXTSECRET-wxyz';
    const set = await send('SetModelApiKey', { workspaceId, provider: 'openai', model: 'gpt-4o', apiKey: key }, user('u-admin'));
    expect(set).toMatchObject({ ok: true, answer: { changed: true } });
    expect(JSON.stringify(set)).not.toContain('PLAINTEXT');
    const events = await store.readStream(UsageStreams.models(workspaceId));
    expect(JSON.stringify(events.map((event) => [event.data, event.metadata]))).not.toContain('PLAINTEXT');
    const keySet = events.find((event) => event.type === 'ModelApiKeySet')!;
    const { secretRef, hint } = keySet.data as { secretRef: string; hint: string };
    expect(hint).toBe('••••wxyz');
    expect(await secrets.get(secretRef, modelKeyOwner(workspaceId))).toBe(key);
    const raw = await env.pool.query(`SELECT * FROM steward_secrets.secrets`);
    expect(raw.rows.map((row) => Buffer.from(row.ciphertext).toString('latin1')).join('')).not.toContain('PLAINTEXT');

    await send('SetModelApiKey', { workspaceId, provider: 'openai', model: 'gpt-4o', apiKey: 'sk-second-key-9999' }, user('u-admin'));
    expect(await secrets.get(secretRef, modelKeyOwner(workspaceId))).toBeUndefined();

    expect(await send('ClearModelApiKey', { workspaceId, provider: 'openai', model: 'gpt-4o' }, user('u-admin'))).toMatchObject({
      ok: true,
      answer: { changed: true, events: [{ type: 'ModelApiKeyCleared' }] },
    });
    expect((await env.pool.query(`SELECT count(*)::int AS n FROM steward_secrets.secrets`)).rows[0].n).toBe(0);
    // clearing again: nothing to clear, nothing changes
    expect(await send('ClearModelApiKey', { workspaceId, provider: 'openai', model: 'gpt-4o' }, user('u-admin'))).toMatchObject({
      ok: true,
      answer: { changed: false, events: [] },
    });
    expect(await send('SetModelApiKey', { workspaceId, provider: 'openai', model: 'gpt-4o', apiKey: 'x'.repeat(20) }, user('u-member'))).toMatchObject({
      ok: false,
      code: 'MODELS_FORBIDDEN',
    });
    expect((await env.pool.query(`SELECT count(*)::int AS n FROM steward_secrets.secrets`)).rows[0].n).toBe(0);
  });

  it('configures a price and a key in one command, or nothing of either when the price is refused', async () => {
    const model = { workspaceId, provider: 'anthropic', model: 'claude-x' };
    const secretCount = async (): Promise<number> => (await env.pool.query(`SELECT count(*)::int AS n FROM steward_secrets.secrets`)).rows[0].n;
    const secretsBefore = await secretCount();
    const both = await send('ConfigureModel', { ...model, pricing: { unitPrices: { input: '0.000003', output: '0.000015' } }, apiKey: 'sk-ant-BOTHATONCE-1234' }, user('u-admin'));
    expect(both).toMatchObject({ ok: true, answer: { changed: true, events: [{ type: 'ModelPricingSet' }, { type: 'ModelApiKeySet' }] } });
    expect(JSON.stringify(both)).not.toContain('BOTHATONCE');
    expect(await secretCount()).toBe(secretsBefore + 1);

    const before = (await store.readStream(UsageStreams.models(workspaceId))).length;
    const tooLate = new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString();
    // a refused price: no new key sealed, the current key not cleared, nothing appended
    for (const apiKey of ['sk-ant-NEVERSEALED-5678', null]) {
      expect(await send('ConfigureModel', { ...model, pricing: { unitPrices: { input: '1', output: '1' }, effectiveFrom: tooLate }, apiKey }, user('u-admin'))).toMatchObject({
        ok: false,
        code: 'MODELS_INVALID_COMMAND',
      });
    }
    expect(await secretCount()).toBe(secretsBefore + 1);
    expect((await store.readStream(UsageStreams.models(workspaceId))).length).toBe(before);
    expect(await send('ConfigureModel', { ...model, apiKey: null }, user('u-admin'))).toMatchObject({ ok: true, answer: { events: [{ type: 'ModelApiKeyCleared' }] } });
    expect(await secretCount()).toBe(secretsBefore);
  });
});
