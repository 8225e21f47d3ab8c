import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InstantSchema, SearchTermSchema, MAX_PRICE_PER_TOKEN, MAX_PRICE_SCALE, priceText, text as storableText } from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { ModelSettingsRepository, UNPRICED_MODELS_WINDOW_DAYS, builtInCatalogueFile, catalogueListing, pricesPerMillionTokens, pricesPerToken } from '@steward/usage-metering';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { callerOf, type Caller } from '../caller';
import { PathId, pageQuery, pageSchema } from '../route-params';
import { commandIdFor } from '../command-ids';
import { ModelCommandSender } from './model-command.sender';
import { CataloguePageSchema, ModelSettingsChangeSchema, ModelSettingsViewSchema, UnpricedModelSchema } from './model-views.schema';
import type { WriteSettler } from '../../read-your-writes';

export interface ModelRoutesDeps {
  /** Sends `<prefix>cmd.usage.<Type>` to usage-metering. */
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  /** Every command's answer waits until the read models show it (services/gateway/src/read-your-writes). */
  readonly readYourWrites: WriteSettler;
  /** Over the database holding `rm_model_settings`. */
  readonly db: Kysely<unknown>;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

/**
 * The bounds of a price per token (see priceText in @steward/contracts); a price per 1M tokens is a million times
 * larger and has six fewer decimal places, so either converts exactly into a price per token within the bounds.
 */
const PriceSet = z.strictObject({
  input: priceText(),
  output: priceText(),
  cacheRead: priceText().optional(),
  cacheCreation: priceText().optional(),
  reasoningOutput: priceText().optional(),
});
const MillionPriceSet = z.strictObject({
  input: priceText(MAX_PRICE_PER_TOKEN * 1_000_000, MAX_PRICE_SCALE - 6, 'USD per 1M tokens'),
  output: priceText(MAX_PRICE_PER_TOKEN * 1_000_000, MAX_PRICE_SCALE - 6, 'USD per 1M tokens'),
  cacheRead: priceText(MAX_PRICE_PER_TOKEN * 1_000_000, MAX_PRICE_SCALE - 6, 'USD per 1M tokens').optional(),
  cacheCreation: priceText(MAX_PRICE_PER_TOKEN * 1_000_000, MAX_PRICE_SCALE - 6, 'USD per 1M tokens').optional(),
  reasoningOutput: priceText(MAX_PRICE_PER_TOKEN * 1_000_000, MAX_PRICE_SCALE - 6, 'USD per 1M tokens').optional(),
});

/** Provider and model as they appear in a path: letters, digits and `. _ - : @ +`, never only dots (`.`, `..`: a path, not a name). */
const NamePart = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => /^[A-Za-z0-9._:@+-]+$/.test(value) && !/^\.+$/.test(value), 'letters, digits and . _ - : @ +, not only dots');

const PutModelBody = z
  .strictObject({
    unitPrices: PriceSet.optional().describe('USD per token (exact decimal text); or give pricesPerMillionTokens'),
    pricesPerMillionTokens: MillionPriceSet.optional().describe('USD per 1M tokens, as providers publish them; stored per token, exactly'),
    effectiveFrom: InstantSchema.optional().describe('default: now; at most a year ahead'),
    rerate: z.boolean().optional().describe('re-price the calls from effectiveFrom until now (UsageCorrected events)'),
    apiKey: storableText({ min: 1, max: 4096, singleLine: true }).nullable().optional().describe('the model API key (stored encrypted, never shown again); null clears it'),
  })
  .superRefine((body, context) => {
    const hasPrices = body.unitPrices !== undefined || body.pricesPerMillionTokens !== undefined;
    if (body.unitPrices !== undefined && body.pricesPerMillionTokens !== undefined) {
      context.addIssue({ code: 'custom', path: ['pricesPerMillionTokens'], message: 'give unitPrices or pricesPerMillionTokens, not both' });
    }
    if (!hasPrices && body.effectiveFrom !== undefined) context.addIssue({ code: 'custom', path: ['effectiveFrom'], message: 'effectiveFrom goes with prices' });
    if (!hasPrices && body.rerate !== undefined) context.addIssue({ code: 'custom', path: ['rerate'], message: 'rerate goes with prices' });
    if (!hasPrices && body.apiKey === undefined) {
      context.addIssue({ code: 'custom', path: [], message: 'nothing to change: give unitPrices (or pricesPerMillionTokens) and/or apiKey' });
    }
  });

/**
 * Model settings (admin only): the workspace's models with prices and price
 * history and whether an API key is configured; setting prices (per token or
 * per 1M tokens, effective-dated, optionally re-rating the past) and setting
 * or clearing a model's API key; the built-in price catalogue.
 */
export function modelRoutes(deps: ModelRoutesDeps): AnyRoute[] {
  const repository = new ModelSettingsRepository({ db: deps.db });
  const sender = new ModelCommandSender({
    commands: deps.commands,
    natsPrefix: deps.natsPrefix,
    readYourWrites: deps.readYourWrites,
    ...(deps.commandTimeoutMs !== undefined ? { timeoutMs: deps.commandTimeoutMs } : {}),
  });
  const now = (): Date => deps.now?.() ?? new Date();
  const caller = (principal: Principal | undefined): Caller => {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token');
    return callerOf(principal);
  };
  const catalogue = builtInCatalogueFile();

  return [
    defineRoute({
      operationId: 'listModels',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/models',
      summary: 'Model settings of a workspace: each configured model with its current price, price history and API key status',
      description:
        'Prices are USD per token (and per 1M tokens), exact decimal text. The API key is only ever "Configured" or "Not Configured". ' +
        `\`unpricedModels\`: models the last ${UNPRICED_MODELS_WINDOW_DAYS} days of usage called without any price (no workspace price, no catalogue entry), ` +
        'flagged "pricing not configured".',
      tags: ['models'],
      permission: 'models.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      query: z.strictObject({ ...pageQuery, q: SearchTermSchema.min(1).optional() }),
      responses: { 200: pageSchema(ModelSettingsViewSchema).extend({ unpricedModels: z.array(UnpricedModelSchema) }) },
      handler: async ({ params, query }) => {
        const at = now();
        const [page, unpricedModels] = await Promise.all([repository.listModels(params.wsId, query, at), repository.unpricedModels(params.wsId, at)]);
        return { status: 200, body: { ...page, unpricedModels } };
      },
    }),
    defineRoute({
      operationId: 'putModel',
      method: 'PUT',
      path: '/v1/workspaces/{wsId}/models/{provider}/{model}',
      summary: "Set a model's prices (effective-dated, optionally re-rating past calls) and/or set or clear its API key",
      description:
        'Prices: `unitPrices` in USD per token or `pricesPerMillionTokens` in USD per 1M tokens (stored per token, exactly), ' +
        '`effectiveFrom` (default now, at most a year ahead), `rerate` (re-price the calls from effectiveFrom until now with ' +
        'UsageCorrected events; effectiveFrom must then lie in the past, at most a year back). `apiKey`: a string sets the key ' +
        '(encrypted at rest, never returned), null clears it (clearing a key that is not set changes nothing).',
      tags: ['models'],
      permission: 'models.write',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, provider: NamePart(100), model: NamePart(200) }),
      body: PutModelBody,
      responses: { 200: ModelSettingsChangeSchema },
      handler: async ({ params, body, principal, requestId }) => {
        const who = caller(principal);
        const issuedAt = now().toISOString();
        const provider = params.provider.toLowerCase();
        const unitPrices = body.unitPrices ?? (body.pricesPerMillionTokens !== undefined ? pricesPerToken(body.pricesPerMillionTokens) : undefined);
        const given = body.unitPrices ? 'unitPrices' : 'pricesPerMillionTokens';
        // one command: the price and the key change together or not at all (a PUT carries no Idempotency-Key)
        const answer = await sender.send(
          'ConfigureModel',
          {
            workspaceId: params.wsId,
            provider,
            model: params.model,
            ...(unitPrices !== undefined
              ? { pricing: { unitPrices, ...(body.effectiveFrom !== undefined ? { effectiveFrom: body.effectiveFrom } : {}), rerate: body.rerate ?? false } }
              : {}),
            ...(body.apiKey !== undefined ? { apiKey: body.apiKey } : {}),
          },
          {
            commandId: commandIdFor(principal, undefined),
            caller: who,
            organizationId: who.organizationId,
            workspaceId: params.wsId,
            requestId,
            issuedAt,
            fieldOf: (field) => field.replace(/^(pricing\.)?unitPrices/, given).replace(/^pricing\./, ''),
          },
        );
        const pricing =
          unitPrices !== undefined
            ? {
                unitPrices,
                unitPricesPerMillionTokens: pricesPerMillionTokens(unitPrices),
                effectiveFrom: body.effectiveFrom !== undefined ? new Date(body.effectiveFrom).toISOString() : issuedAt,
                rerate: body.rerate ?? false,
              }
            : undefined;
        const apiKey = body.apiKey === undefined ? undefined : body.apiKey === null ? 'Not Configured' : 'Configured';
        return {
          status: 200,
          body: { provider, model: params.model, changed: answer.changed, ...(pricing ? { pricing } : {}), ...(apiKey ? { apiKey } : {}) },
        };
      },
    }),
    defineRoute({
      operationId: 'listModelCatalogue',
      method: 'GET',
      path: '/v1/model-catalog',
      summary: 'The built-in model price catalogue (fallback prices when a workspace sets none), with its attribution',
      tags: ['models'],
      permission: 'models.read',
      scope: 'none',
      query: z.strictObject({ ...pageQuery, q: SearchTermSchema.min(1).optional() }),
      responses: { 200: CataloguePageSchema },
      handler: ({ query }) => {
        const listing = catalogueListing({ page: query.page, pageSize: query.pageSize, q: query.q }, catalogue);
        return {
          status: 200,
          body: {
            attribution: listing.attribution,
            source: listing.source,
            items: listing.items.map((entry) => ({
              id: entry.id,
              modelName: entry.modelName,
              provider: entry.provider,
              matchPattern: entry.matchPattern,
              flags: entry.flags,
              unitPrices: entry.unitPrices,
              unitPricesPerMillionTokens: entry.unitPricesPerMillionTokens,
            })),
            total: listing.total,
            page: listing.page,
            pageSize: listing.pageSize,
            pageCount: listing.pageCount,
          },
        };
      },
    }),
  ];
}
