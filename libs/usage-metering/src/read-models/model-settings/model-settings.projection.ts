import type { Kysely, Transaction } from 'kysely';
import type { ModelApiKeyClearedData, ModelApiKeySetData, ModelPricingSetData } from '@steward/contracts';
import { defineProjection, projectionSchema } from '@steward/projections';
import type { ModelSettingsDB } from './model-settings-db';

export const MODEL_SETTINGS_PROJECTION = 'model-settings';
/** `rm_model_settings`: query it with `db.withSchema(MODEL_SETTINGS_SCHEMA)`. */
export const MODEL_SETTINGS_SCHEMA = projectionSchema(MODEL_SETTINGS_PROJECTION);

async function touchModel(
  trx: Transaction<ModelSettingsDB>,
  data: { organizationId: string; workspaceId: string; provider: string; model: string },
  at: string,
  apiKey?: { configured: boolean; setAt: string | null },
): Promise<void> {
  await trx
    .insertInto('models')
    .values({
      workspace_id: data.workspaceId,
      provider: data.provider,
      model: data.model,
      organization_id: data.organizationId,
      api_key_configured: apiKey?.configured ?? false,
      api_key_set_at: apiKey?.setAt ?? null,
      updated_at: at,
    })
    .onConflict((conflict) =>
      conflict.columns(['workspace_id', 'provider', 'model']).doUpdateSet({
        updated_at: at,
        ...(apiKey ? { api_key_configured: apiKey.configured, api_key_set_at: apiKey.setAt } : {}),
      }),
    )
    .execute();
}

/** Model settings as listed: configured models, their price history, whether a key is configured (never the key). */
export const modelSettingsProjection = defineProjection<ModelSettingsDB>({
  name: MODEL_SETTINGS_PROJECTION,
  version: 1,
  streamPrefixes: ['usage-models-'],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async migrate(db: Kysely<any>) {
    await db.schema
      .createTable('models')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('provider', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('api_key_configured', 'boolean', (column) => column.notNull().defaultTo(false))
      .addColumn('api_key_set_at', 'timestamptz')
      .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
      .addPrimaryKeyConstraint('models_pk', ['workspace_id', 'provider', 'model'])
      .execute();
    await db.schema
      .createTable('model_prices')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('provider', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('effective_from', 'timestamptz', (column) => column.notNull())
      .addColumn('input', 'numeric', (column) => column.notNull())
      .addColumn('output', 'numeric', (column) => column.notNull())
      .addColumn('cache_read', 'numeric')
      .addColumn('cache_creation', 'numeric')
      .addColumn('reasoning_output', 'numeric')
      .addColumn('set_by', 'text', (column) => column.notNull())
      .addColumn('set_at', 'timestamptz', (column) => column.notNull())
      .addColumn('rerate', 'boolean', (column) => column.notNull())
      .addPrimaryKeyConstraint('model_prices_pk', ['workspace_id', 'provider', 'model', 'effective_from'])
      .execute();
  },
  handlers: {
    async ModelPricingSet(trx, event) {
      const data = event.data as ModelPricingSetData;
      await touchModel(trx, data, data.setAt);
      const price = {
        input: data.unitPrices.input,
        output: data.unitPrices.output,
        cache_read: data.unitPrices.cacheRead ?? null,
        cache_creation: data.unitPrices.cacheCreation ?? null,
        reasoning_output: data.unitPrices.reasoningOutput ?? null,
        set_by: data.setBy,
        set_at: data.setAt,
        rerate: data.rerate,
      };
      // A later price for the same effective-from replaces the earlier one (as the aggregate does).
      await trx
        .insertInto('model_prices')
        .values({ workspace_id: data.workspaceId, provider: data.provider, model: data.model, effective_from: data.effectiveFrom, ...price })
        .onConflict((conflict) => conflict.columns(['workspace_id', 'provider', 'model', 'effective_from']).doUpdateSet(price))
        .execute();
    },
    async ModelApiKeySet(trx, event) {
      const data = event.data as ModelApiKeySetData;
      await touchModel(trx, data, data.setAt, { configured: true, setAt: data.setAt });
    },
    async ModelApiKeyCleared(trx, event) {
      const data = event.data as ModelApiKeyClearedData;
      await touchModel(trx, data, data.clearedAt, { configured: false, setAt: null });
    },
  },
});

