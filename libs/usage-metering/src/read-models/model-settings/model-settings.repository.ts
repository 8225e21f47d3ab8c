import { sql, type Kysely } from 'kysely';
import type { UnitPrices } from '@steward/contracts';
import { UsageDecimal, decimalText, pricesPerMillionTokens } from '../../pricing';
import { CHARGEBACK_SCHEMA } from '../chargeback/chargeback.projection';
import type { ModelPriceRow } from './model-prices.table';
import type { ModelSettingsDB } from './model-settings-db';
import { MODEL_SETTINGS_SCHEMA } from './model-settings.projection';

export type ApiKeyStatus = 'Configured' | 'Not Configured';

export interface ModelPriceView {
  /** USD per token, exact decimal text. */
  readonly unitPrices: UnitPrices;
  /** The same prices per 1M tokens (what providers publish). */
  readonly unitPricesPerMillionTokens: UnitPrices;
  readonly effectiveFrom: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly rerate: boolean;
}

export interface ModelSettingsView {
  readonly provider: string;
  readonly model: string;
  /** The price in force now (null: only scheduled prices, or none). */
  readonly currentPrice: ModelPriceView | null;
  /** Every price, latest effective-from first (scheduled ones included). */
  readonly priceHistory: readonly ModelPriceView[];
  /** Only whether a key is set: the key, its ref and its hint are never shown. */
  readonly apiKey: ApiKeyStatus;
  readonly updatedAt: string;
}

/** A model the workspace's calls used without any price (cost 0): the screen says "pricing not configured". */
export interface UnpricedModelView {
  readonly provider: string;
  readonly model: string;
  readonly unpricedCalls: number;
  readonly pricing: 'pricing not configured';
}

export interface ModelSettingsPage {
  readonly items: readonly ModelSettingsView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

/** How far back the model settings look for models called without a price. */
export const UNPRICED_MODELS_WINDOW_DAYS = 90;

function pricesOf(row: ModelPriceRow): UnitPrices {
  const scale = (value: string): string => decimalText(new UsageDecimal(value));
  return {
    input: scale(row.input),
    output: scale(row.output),
    ...(row.cache_read !== null ? { cacheRead: scale(row.cache_read) } : {}),
    ...(row.cache_creation !== null ? { cacheCreation: scale(row.cache_creation) } : {}),
    ...(row.reasoning_output !== null ? { reasoningOutput: scale(row.reasoning_output) } : {}),
  };
}

function priceView(row: ModelPriceRow): ModelPriceView {
  const unitPrices = pricesOf(row);
  return {
    unitPrices,
    unitPricesPerMillionTokens: pricesPerMillionTokens(unitPrices),
    effectiveFrom: row.effective_from.toISOString(),
    setBy: row.set_by,
    setAt: row.set_at.toISOString(),
    rerate: row.rerate,
  };
}

/** Reads `rm_model_settings`. Every query takes the workspace first (the tenant). */
export class ModelSettingsRepository {
  private readonly db: Kysely<ModelSettingsDB>;

  constructor(deps: { readonly db: Kysely<unknown> }) {
    this.db = (deps.db as Kysely<ModelSettingsDB>).withSchema(MODEL_SETTINGS_SCHEMA);
  }

  /** The workspace's configured models, by provider and model, with prices as of `now`; `q` matches provider or model. */
  async listModels(workspaceId: string, options: { page: number; pageSize: number; q?: string | undefined }, now: Date = new Date()): Promise<ModelSettingsPage> {
    const { page, pageSize } = options;
    let query = this.db.selectFrom('models').where('workspace_id', '=', workspaceId);
    if (options.q) {
      const like = `%${options.q.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      query = query.where((where) => where.or([where('provider', 'ilike', like), where('model', 'ilike', like)]));
    }
    const rows = await query
      .select(['provider', 'model', 'api_key_configured', 'updated_at', sql<string>`count(*) OVER ()`.as('total')])
      .orderBy('provider')
      .orderBy('model')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
    let total = Number(rows[0]?.total ?? 0);
    if (rows.length === 0 && page > 1) {
      const counted = await query.select(sql<string>`count(*)`.as('n')).executeTakeFirst();
      total = Number(counted?.n ?? 0);
    }
    const prices =
      rows.length === 0
        ? []
        : await this.db
            .selectFrom('model_prices')
            .selectAll()
            .where('workspace_id', '=', workspaceId)
            .where((where) => where.or(rows.map((row) => where.and([where('provider', '=', row.provider), where('model', '=', row.model)]))))
            .orderBy('effective_from', 'desc')
            .execute();
    const items = rows.map((row): ModelSettingsView => {
      const history = prices.filter((price) => price.provider === row.provider && price.model === row.model);
      const current = history.find((price) => price.effective_from.getTime() <= now.getTime());
      return {
        provider: row.provider,
        model: row.model,
        currentPrice: current ? priceView(current) : null,
        priceHistory: history.map(priceView),
        apiKey: row.api_key_configured ? 'Configured' : 'Not Configured',
        updatedAt: row.updated_at.toISOString(),
      };
    });
    return { items, total, page, pageSize, pageCount: Math.ceil(total / pageSize) };
  }

  /**
   * Models seen in the workspace's usage in the `windowDays` days before `now` with calls recorded unpriced (no workspace price, no
   * catalogue entry), from the chargeback read model's daily rollups, minus the models the workspace has priced
   * since. Empty while the chargeback read model does not exist yet.
   */
  async unpricedModels(workspaceId: string, now: Date = new Date(), windowDays: number = UNPRICED_MODELS_WINDOW_DAYS): Promise<UnpricedModelView[]> {
    const since = new Date(now.getTime() - windowDays * 86_400_000);
    try {
      const result = await sql<{ provider: string; model: string; unpriced: string }>`
        SELECT r.provider, r.model, sum(r.unpriced_calls)::text AS unpriced
          FROM ${sql.id(CHARGEBACK_SCHEMA, 'usage_rollups')} r
         WHERE r.workspace_id = ${workspaceId} AND r.grain = 1440 AND r.bucket_start >= ${since}
           AND NOT EXISTS (SELECT 1 FROM ${sql.id(MODEL_SETTINGS_SCHEMA, 'model_prices')} p
                            WHERE p.workspace_id = r.workspace_id AND p.provider = r.provider AND p.model = r.model)
         GROUP BY r.provider, r.model
        HAVING sum(r.unpriced_calls) > 0
         ORDER BY r.provider, r.model
         LIMIT 200`.execute(this.db);
      return result.rows.map((row) => ({ provider: row.provider, model: row.model, unpricedCalls: Number(row.unpriced), pricing: 'pricing not configured' }));
    } catch (error) {
      // 42P01: the chargeback read model is not built yet
      if ((error as { code?: string }).code === '42P01') return [];
      throw error;
    }
  }
}
