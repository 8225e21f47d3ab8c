import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  RuntimeCategorySchema,
  derivedId,
  RuntimeNameSchema,
  RuntimeProviderIdSchema,
  RuntimeProviderSchemas,
  isSecretField,
  runtimeProvider,
  runtimeProviderCatalogue,
  validateRuntimeConfig,
  type RuntimeProviderId,
  text,
} from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { maskSecret } from '@steward/secrets';
import { WorkspaceOrganizations } from '@steward/team-rbac';
import { RuntimeReadRepository, type RuntimeView } from '@steward/runtime-registry';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { callerOf as defaultCallerOf, type Caller } from '../caller';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery } from '../route-params';
import { RuntimeCommandSender } from './runtime-command.sender';
import { RuntimeDefaultsSchema, RuntimePageSchema, RuntimeProviderCatalogueSchema, RuntimeTestAcceptedSchema, RuntimeViewSchema } from './runtime-views.schema';
import type { WriteSettler } from '../../read-your-writes';

export interface RuntimeRoutesDeps {
  /** Sends runtime commands (`<prefix>cmd.runtime.<Type>`). */
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  /** Every command's answer waits until the read models show it (services/gateway/src/read-your-writes). */
  readonly readYourWrites: WriteSettler;
  /** Over the database holding the read models (runtimes, and the team's for a workspace's organization). */
  readonly db: Kysely<unknown>;
  readonly callerOf?: (principal: Principal) => Caller;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const ConfigInput = z.record(text({ min: 1, max: 64, singleLine: true }), z.unknown());

/** The provider's configuration issues, each naming its field inside `config`. */
function configIssues(provider: RuntimeProviderId, config: unknown): Array<{ path: Array<string | number>; message: string }> {
  // an unknown or missing provider is reported on its own field
  if (!Object.hasOwn(RuntimeProviderSchemas, provider)) return [];
  const result = validateRuntimeConfig(provider, config);
  return result.ok ? [] : result.issues.map((issue) => ({ path: ['config', ...issue.path], message: issue.message }));
}

const CreateRuntimeBody = z
  .strictObject({
    name: RuntimeNameSchema,
    provider: RuntimeProviderIdSchema,
    /** The provider's configuration: see GET /v1/runtime-providers for each provider's JSON Schema; secret fields are write-only. */
    config: ConfigInput,
    setAsDefault: z.boolean().optional(),
  })
  .superRefine((body, context) => {
    for (const issue of configIssues(body.provider, body.config)) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

const UpdateRuntimeBody = z.strictObject({
  name: RuntimeNameSchema.optional(),
  /** Fields to change; a secret field left out keeps its stored value. */
  config: ConfigInput.optional(),
});

const RuntimePath = z.strictObject({ wsId: PathId, id: PathId });
const Empty = z.strictObject({});

/**
 * Runtime Environments (admin guide, Part 3): the provider catalogue, the
 * workspace's runtimes per category with counts and defaults, register /
 * reconfigure / delete (admins), set default, and connection tests (202 with a
 * test id; the outcome shows as the runtime's lastTest). Secrets go in, never out.
 */
export function runtimeRoutes(deps: RuntimeRoutesDeps): AnyRoute[] {
  const reads = new RuntimeReadRepository({ db: deps.db });
  const sender = new RuntimeCommandSender({ commands: deps.commands, natsPrefix: deps.natsPrefix, readYourWrites: deps.readYourWrites, ...(deps.commandTimeoutMs ? { timeoutMs: deps.commandTimeoutMs } : {}) });
  const caller = (principal: Principal | undefined): Caller => {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token or an API key');
    return (deps.callerOf ?? defaultCallerOf)(principal);
  };
  const issuedAt = () => (deps.now?.() ?? new Date()).toISOString();
  const workspaces = new WorkspaceOrganizations({ db: deps.db });
  const organizationOf = (workspaceId: string): Promise<string | undefined> => workspaces.organizationOf(workspaceId);
  const target = (principal: Principal | undefined, commandId: string, workspaceId: string, requestId: string) => ({
    commandId,
    caller: caller(principal),
    workspaceId,
    requestId,
    issuedAt: issuedAt(),
  });

  return [
    defineRoute({
      operationId: 'listRuntimeProviders',
      method: 'GET',
      path: '/v1/runtime-providers',
      summary: 'The runtime provider catalogue: categories, providers, each configuration JSON Schema, secret fields and setup guides',
      tags: ['runtimes'],
      permission: 'runtimes.read',
      scope: 'none',
      responses: { 200: RuntimeProviderCatalogueSchema },
      handler: () => ({ status: 200, body: runtimeProviderCatalogue() }),
    }),
    defineRoute({
      operationId: 'listRuntimes',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/runtimes',
      summary: 'Runtimes of a workspace, one tab (a category) or all, defaults first; counts for every tab',
      tags: ['runtimes'],
      permission: 'runtimes.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      query: z.strictObject({ category: RuntimeCategorySchema.optional(), ...pageQuery }),
      responses: { 200: RuntimePageSchema },
      handler: async ({ params, query }) => ({ status: 200, body: await reads.list(params.wsId, query) }),
    }),
    defineRoute({
      operationId: 'createRuntime',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/runtimes',
      summary: 'Register a runtime (admins); optionally make it the default of its category',
      description: 'The name is unique per workspace and category. Secret fields are stored encrypted and shown only as a masked hint.',
      tags: ['runtimes'],
      permission: 'runtimes.write',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      body: CreateRuntimeBody,
      responses: { 201: RuntimeViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const runtimeId = derivedId('runtime', commandId);
        const sent = target(principal, commandId, params.wsId, requestId);
        await sender.send(
          'RegisterRuntime',
          { workspaceId: params.wsId, runtimeId, name: body.name, provider: body.provider, config: body.config, setAsDefault: body.setAsDefault ?? false },
          sent,
        );
        const provider = runtimeProvider(body.provider);
        const config = validateRuntimeConfig(body.provider, body.config);
        const values = config.ok ? config.config : {};
        const view: RuntimeView = {
          id: runtimeId,
          organizationId: (await organizationOf(params.wsId)) ?? '',
          workspaceId: params.wsId,
          name: body.name,
          category: provider.category,
          provider: body.provider,
          providerLabel: provider.label,
          config: Object.fromEntries(Object.entries(values).filter(([field]) => !isSecretField(body.provider, field))),
          secrets: Object.fromEntries(Object.entries(values).filter(([field]) => isSecretField(body.provider, field)).map(([field, value]) => [field, { hint: maskSecret(String(value)) }])),
          isDefault: body.setAsDefault ?? false,
          createdBy: sent.caller.actor.id,
          createdAt: sent.issuedAt,
          updatedAt: sent.issuedAt,
          lastTest: null,
        };
        return { status: 201, headers: { location: `/v1/workspaces/${params.wsId}/runtimes/${runtimeId}` }, body: view };
      },
    }),
    // before /runtimes/{id}: "defaults" is not a runtime id
    defineRoute({
      operationId: 'getRuntimeDefaults',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/runtimes/defaults',
      summary: 'The default runtime of each category (null where none: "No Ingestion Runtimes Configured")',
      tags: ['runtimes'],
      permission: 'runtimes.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      responses: { 200: RuntimeDefaultsSchema },
      handler: async ({ params }) => ({ status: 200, body: await reads.defaults(params.wsId) }),
    }),
    defineRoute({
      operationId: 'getRuntime',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/runtimes/{id}',
      summary: 'One runtime: configuration with secrets masked, default flag, last connection test',
      tags: ['runtimes'],
      permission: 'runtimes.read',
      scope: 'workspace',
      params: RuntimePath,
      responses: { 200: RuntimeViewSchema },
      handler: async ({ params }) => {
        const runtime = await reads.get(params.wsId, params.id);
        if (!runtime) throw new GatewayError(GatewayErrorCode.NotFound, 'no such runtime');
        return { status: 200, body: runtime };
      },
    }),
    defineRoute({
      operationId: 'updateRuntime',
      method: 'PATCH',
      path: '/v1/workspaces/{wsId}/runtimes/{id}',
      summary: 'Rename or reconfigure a runtime (admins); secret fields left out keep their value',
      tags: ['runtimes'],
      permission: 'runtimes.write',
      scope: 'workspace',
      params: RuntimePath,
      body: UpdateRuntimeBody,
      responses: { 200: RuntimeViewSchema, 202: z.object({ id: z.string(), status: z.literal('accepted') }) },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        // runtime-registry merges the change with the stored configuration, checks it and answers the result
        const sent = target(principal, commandIdFor(principal, idempotencyKey), params.wsId, requestId);
        const answer = await sender.send(
          'ReconfigureRuntime',
          { workspaceId: params.wsId, runtimeId: params.id, ...(body.name !== undefined ? { name: body.name } : {}), ...(body.config !== undefined ? { config: body.config } : {}) },
          sent,
        );
        const current = await reads.get(params.wsId, params.id);
        if (!current || !answer.runtime) return { status: 202, body: { id: params.id, status: 'accepted' as const } };
        const { name, config, secrets } = answer.runtime;
        return { status: 200, body: { ...current, name, config: config as RuntimeView['config'], secrets, updatedAt: sent.issuedAt } };
      },
    }),
    defineRoute({
      operationId: 'deleteRuntime',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/runtimes/{id}',
      summary: 'Delete a runtime and its stored secrets (admins); a default leaves its category without one',
      tags: ['runtimes'],
      permission: 'runtimes.write',
      scope: 'workspace',
      params: RuntimePath,
      responses: { 204: null },
      handler: async ({ params, principal, requestId }) => {
        await sender.send('DeleteRuntime', { workspaceId: params.wsId, runtimeId: params.id }, target(principal, commandIdFor(principal, undefined), params.wsId, requestId));
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'testRuntime',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/runtimes/{id}/test',
      summary: 'Run a connection test: 202 with the test id; the outcome becomes the runtime’s lastTest',
      description: 'Send an empty JSON object as the body. Members may re-run a test (the first step when a job fails), and API keys with runtimes:write.',
      tags: ['runtimes'],
      permission: 'runtimes.test',
      scope: 'workspace',
      params: RuntimePath,
      body: Empty,
      responses: { 202: RuntimeTestAcceptedSchema },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const testId = derivedId('runtimeTest', commandId);
        await sender.send('RequestRuntimeTest', { workspaceId: params.wsId, runtimeId: params.id, testId }, target(principal, commandId, params.wsId, requestId));
        return { status: 202, headers: { location: `/v1/workspaces/${params.wsId}/runtimes/${params.id}` }, body: { testId, runtimeId: params.id, status: 'pending' as const } };
      },
    }),
    defineRoute({
      operationId: 'setDefaultRuntime',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/runtimes/{id}/default',
      summary: 'Make a runtime the default of its category (admins); the previous default is cleared in the same step',
      description: 'Send an empty JSON object as the body.',
      tags: ['runtimes'],
      permission: 'runtimes.write',
      scope: 'workspace',
      params: RuntimePath,
      body: Empty,
      responses: { 200: z.object({ id: z.string(), isDefault: z.literal(true), changed: z.boolean() }) },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        const answer = await sender.send('SetDefaultRuntime', { workspaceId: params.wsId, runtimeId: params.id }, target(principal, commandIdFor(principal, idempotencyKey), params.wsId, requestId));
        return { status: 200, body: { id: params.id, isDefault: true as const, changed: answer.changed } };
      },
    }),
  ];
}
