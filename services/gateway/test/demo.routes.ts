/**
 * A tiny route set for the gateway's own tests: a workspace-scoped resource
 * with a list, a create and a delete, a public echo and a route that fails.
 * Domain routes replace it; nothing outside the tests imports it.
 */
import { z } from 'zod';
import { GatewayError, GatewayErrorCode, defineRoute, type AnyRoute, type Authenticator, type Authorizer } from '../src';

/** `Bearer user-<id>` is a user, `Bearer key-<id>` an API key; anything else is nobody. */
export const demoAuthenticator: Authenticator = {
  authenticate(request) {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer (user|key)-([a-z0-9-]+)$/.exec(header) : null;
    if (!match) return undefined;
    return { kind: match[1] === 'user' ? 'user' : 'api_key', id: match[2] as string };
  },
};

/** Workspace `ws-other` belongs to another tenant; `viewer-*` principals may only read. */
export const demoAuthorizer: Authorizer = {
  authorize(principal, check) {
    if (check.workspaceId === 'ws-other' || check.organizationId === 'org-other') return 'not-found';
    if (principal.id.startsWith('viewer') && !check.permission.endsWith(':read')) return 'forbidden';
    return 'allow';
  },
};

const Widget = z.object({ id: z.string(), name: z.string(), size: z.number().int(), tags: z.array(z.string()) });

class DemoError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'WIDGET_LOCKED',
    message: string,
  ) {
    super(message);
  }
}

/** The demo domain's own error codes, given to the gateway as `config.errorStatuses`. */
export const DEMO_ERROR_STATUSES = { WIDGET_LOCKED: 423 } as const;

export interface DemoState {
  creates: number;
  /** While set, creating a widget named `slow` waits for it. */
  gate: Promise<void> | undefined;
}

export function demoRoutes(state: DemoState): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'listWidgets',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/widgets',
      summary: 'List widgets',
      tags: ['widgets'],
      permission: 'widgets:read',
      scope: 'workspace',
      params: z.strictObject({ wsId: z.string().min(1) }),
      query: z.strictObject({ page: z.coerce.number().int().min(1).default(1) }),
      responses: { 200: z.object({ items: z.array(Widget), page: z.number() }) },
      handler: ({ query }) => ({ status: 200, body: { items: [], page: query.page } }),
    }),
    defineRoute({
      operationId: 'createWidget',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/widgets',
      summary: 'Create a widget',
      tags: ['widgets'],
      permission: 'widgets:create',
      scope: 'workspace',
      params: z.strictObject({ wsId: z.string().min(1) }),
      body: z.strictObject({
        name: z.string().min(1).max(50),
        size: z.number().int().positive(),
        tags: z.array(z.string().max(10)).max(5).default([]),
      }),
      responses: { 201: Widget },
      handler: async ({ body, workspaceId }) => {
        state.creates += 1;
        if (body.name === 'slow' && state.gate) await state.gate;
        // `secret` is not in the response schema: it never leaves
        return {
          status: 201,
          headers: { location: `/v1/workspaces/${workspaceId}/widgets/w${state.creates}` },
          body: { id: `w${state.creates}`, ...body, secret: 'hash' },
        };
      },
    }),
    defineRoute({
      operationId: 'deleteWidget',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/widgets/{widgetId}',
      summary: 'Delete a widget',
      tags: ['widgets'],
      permission: 'widgets:delete',
      scope: 'workspace',
      params: z.strictObject({ wsId: z.string(), widgetId: z.string().regex(/^w\d+$/) }),
      responses: { 204: null },
      handler: ({ params }) => {
        if (params.widgetId === 'w0') throw new DemoError('CONFLICT', 'widget w0 is in use');
        if (params.widgetId === 'w9') throw new DemoError('WIDGET_LOCKED', 'widget w9 is locked');
        if (params.widgetId !== 'w1') throw new DemoError('NOT_FOUND', `no widget ${params.widgetId}`);
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'pingWidget',
      method: 'POST',
      path: '/v1/public/ping',
      summary: 'A POST with nothing to say: the body may be left out',
      tags: ['public'],
      permission: null,
      scope: 'none',
      body: z.strictObject({ note: z.string().max(20).optional() }),
      responses: { 200: z.object({ pinged: z.boolean(), note: z.string().optional() }) },
      handler: ({ body }) => ({ status: 200, body: { pinged: true, ...body } }),
    }),
    defineRoute({
      operationId: 'echo',
      method: 'POST',
      path: '/v1/public/echo',
      summary: 'Echo a message, no credentials needed',
      tags: ['public'],
      permission: null,
      scope: 'none',
      body: z.strictObject({ message: z.string().max(100) }),
      responses: { 200: z.object({ message: z.string() }) },
      handler: ({ body }) => ({ status: 200, body }),
    }),
    defineRoute({
      operationId: 'failHard',
      method: 'GET',
      path: '/v1/organizations/{orgId}/boom',
      summary: 'Always fails',
      tags: ['organizations'],
      permission: 'organizations:read',
      scope: 'organization',
      params: z.strictObject({ orgId: z.string() }),
      responses: { 200: null },
      handler: () => {
        throw new Error('database password is hunter2');
      },
    }),
    defineRoute({
      operationId: 'rateLimitedThing',
      method: 'GET',
      path: '/v1/limits',
      summary: 'Anything, to count requests',
      tags: ['public'],
      permission: 'limits:read',
      scope: 'none',
      responses: { 200: z.object({ ok: z.boolean() }) },
      handler: () => ({ status: 200, body: { ok: true } }),
    }),
    defineRoute({
      operationId: 'signalError',
      method: 'GET',
      path: '/v1/errors/{code}',
      summary: 'Throws a gateway error with the given code',
      tags: ['public'],
      permission: null,
      scope: 'none',
      params: z.strictObject({ code: z.enum(GatewayErrorCode) }),
      responses: { 200: null },
      handler: ({ params }) => {
        throw new GatewayError(params.code, `signalled ${params.code}`);
      },
    }),
  ];
}
