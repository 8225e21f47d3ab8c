import { z } from 'zod';
import { RouteError, RouteErrorCode, RouteRegistry, defineRoute, toExpressPath, type AnyRoute } from './route';

function route(overrides: Partial<AnyRoute>): AnyRoute {
  return defineRoute({
    operationId: 'getThing',
    method: 'GET',
    path: '/v1/workspaces/{wsId}/things',
    summary: 'Get a thing',
    tags: ['things'],
    permission: 'things:read',
    scope: 'workspace',
    params: z.strictObject({ wsId: z.string() }),
    responses: { 200: null },
    handler: () => ({ status: 200 }),
    ...overrides,
  } as AnyRoute);
}

function registryError(routes: AnyRoute[]): RouteErrorCode | undefined {
  try {
    new RouteRegistry(routes);
    return undefined;
  } catch (error) {
    return error instanceof RouteError ? error.code : undefined;
  }
}

describe('RouteRegistry', () => {
  it('accepts well-formed routes and tells which methods a concrete path takes', () => {
    const registry = new RouteRegistry([
      route({}),
      route({ operationId: 'createThing', method: 'POST', permission: 'things:create', body: z.strictObject({ name: z.string() }) }),
      route({
        operationId: 'deleteThing',
        method: 'DELETE',
        path: '/v1/workspaces/{wsId}/things/{thingId}',
        params: z.strictObject({ wsId: z.string(), thingId: z.string() }),
      }),
    ]);
    expect(registry.allowedMethods('/v1/workspaces/w1/things')).toEqual(['GET', 'POST']);
    expect(registry.allowedMethods('/v1/workspaces/w1/things/t1/')).toEqual(['DELETE']);
    expect(registry.allowedMethods('/v1/workspaces/w1/other')).toEqual([]);
  });

  it('refuses duplicates, loose schemas, bad paths and scopes without their parameter', () => {
    expect(registryError([route({}), route({ operationId: 'again', path: '/v1/workspaces/{id}/things', params: z.strictObject({ id: z.string() }), scope: 'none' })])).toBe(
      RouteErrorCode.Duplicate,
    );
    expect(registryError([route({}), route({ method: 'POST' })])).toBe(RouteErrorCode.Duplicate);
    expect(registryError([route({ body: z.object({ name: z.string() }) })])).toBe(RouteErrorCode.NotStrict);
    expect(registryError([route({ query: z.looseObject({}) })])).toBe(RouteErrorCode.NotStrict);
    expect(registryError([route({ path: '/workspaces/{wsId}/things' })])).toBe(RouteErrorCode.InvalidPath);
    expect(registryError([route({ path: '/v1/workspaces/:wsId/things' })])).toBe(RouteErrorCode.InvalidPath);
    expect(registryError([route({ params: z.strictObject({ wsId: z.string(), extra: z.string() }) })])).toBe(RouteErrorCode.ParamsMismatch);
    expect(registryError([route({ path: '/v1/things/{wsId}', scope: 'organization' })])).toBe(RouteErrorCode.ScopeParamMissing);
  });

  it('writes express paths from OpenAPI templates', () => {
    expect(toExpressPath('/v1/workspaces/{wsId}/members/{userId}')).toBe('/v1/workspaces/:wsId/members/:userId');
  });
});
