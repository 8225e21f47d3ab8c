import { z } from 'zod';
import { ApiKeyScopeEnum, API_KEY_SCOPES, generateApiKey } from '@steward/auth';
import { DisplayNameSchema, InstantSchema, derivedId } from '@steward/contracts';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute } from '../../route';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery, pageSchema } from '../route-params';
import { TeamRouteKit } from './team-route.support';
import { ApiKeySchema, IssuedApiKeySchema } from './team-views.schema';

/** Workspace API keys: listed without their secret, issued with it shown once, revoked. */
export function apiKeyRoutes(kit: TeamRouteKit): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'listApiKeys',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/api-keys',
      summary: 'API keys of a workspace, newest first, revoked ones included (never a secret)',
      tags: ['api-keys'],
      permission: 'api_key.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      query: z.strictObject(pageQuery),
      responses: { 200: pageSchema(ApiKeySchema) },
      handler: async ({ params, query, principal }) => {
        const page = await kit.query(() => kit.apiKeys.listApiKeys(params.wsId, query));
        kit.recordRead(principal, await kit.organizationOfWorkspace(params.wsId), { resourceType: 'api_key', action: 'fetch_all', workspaceId: params.wsId });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      operationId: 'getApiKey',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/api-keys/{keyId}',
      summary: 'One API key (never its secret)',
      tags: ['api-keys'],
      permission: 'api_key.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, keyId: PathId }),
      responses: { 200: ApiKeySchema },
      handler: async ({ params, principal }) => {
        const key = await kit.apiKeys.getApiKey(params.wsId, params.keyId);
        if (!key) throw new GatewayError(GatewayErrorCode.NotFound, 'no such API key');
        kit.recordRead(principal, key.organizationId, { resourceType: 'api_key', action: 'fetch', resourceId: params.keyId, workspaceId: params.wsId });
        return { status: 200, body: key };
      },
    }),
    defineRoute({
      operationId: 'issueApiKey',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/api-keys',
      summary: 'Issue an API key; the answer carries the whole key, this once',
      description: `Scopes: ${API_KEY_SCOPES.join(', ')}. Only the key's visible prefix and its SHA-256 are kept.`,
      tags: ['api-keys'],
      permission: 'api_key.issue',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      body: z.strictObject({
        name: DisplayNameSchema,
        scopes: z.array(ApiKeyScopeEnum).min(1).max(API_KEY_SCOPES.length),
        expiresAt: InstantSchema.optional(),
      }),
      responses: { 201: IssuedApiKeySchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const issuedAt = kit.issuedAt();
        const caller = kit.caller(principal);
        const commandId = commandIdFor(principal, idempotencyKey);
        const apiKeyId = derivedId('apiKey', commandId);
        const generated = generateApiKey();
        const scopes = [...new Set(body.scopes)];
        const organizationId = await kit.organizationOfWorkspace(params.wsId);
        await kit.sender.send(
          'IssueApiKey',
          {
            workspaceId: params.wsId,
            apiKeyId,
            name: body.name,
            scopes,
            prefix: generated.prefix,
            keyHash: generated.hash,
            ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
          },
          { commandId, caller, organizationId, workspaceId: params.wsId, requestId, issuedAt },
        );
        return {
          status: 201,
          headers: { location: `/v1/workspaces/${params.wsId}/api-keys/${apiKeyId}` },
          body: {
            id: apiKeyId,
            ...(organizationId !== undefined ? { organizationId } : {}),
            workspaceId: params.wsId,
            name: body.name,
            scopes,
            prefix: generated.prefix,
            issuedBy: caller.actor.id,
            createdAt: issuedAt,
            expiresAt: body.expiresAt ?? null,
            revokedAt: null,
            lastUsedAt: null,
            key: generated.secret,
          },
        };
      },
    }),
    defineRoute({
      operationId: 'revokeApiKey',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/api-keys/{keyId}',
      summary: 'Revoke an API key: it stops working at once',
      tags: ['api-keys'],
      permission: 'api_key.revoke',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, keyId: PathId }),
      responses: { 204: null },
      handler: async ({ params, principal, requestId }) => {
        await kit.sender.send(
          'RevokeApiKey',
          { workspaceId: params.wsId, apiKeyId: params.keyId },
          { commandId: commandIdFor(principal, undefined), caller: kit.caller(principal), workspaceId: params.wsId, requestId, issuedAt: kit.issuedAt() },
        );
        return { status: 204 };
      },
    }),
  ];
}
