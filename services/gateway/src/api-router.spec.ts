import { z } from 'zod';
import { ApiRouter } from './api-router';
import { defineRoute, type AnyRoute, type HttpMethod } from './route';

function route(operationId: string, method: HttpMethod, path: string): AnyRoute {
  const names = [...path.matchAll(/\{([a-zA-Z]+)\}/g)].map((match) => match[1] as string);
  return defineRoute({
    operationId,
    method,
    path,
    summary: operationId,
    tags: ['things'],
    permission: null,
    scope: 'none',
    params: z.strictObject(Object.fromEntries(names.map((name) => [name, z.string()]))),
    responses: { 200: null },
    handler: () => ({ status: 200 }),
  } as AnyRoute);
}

const routes = [
  route('listThings', 'GET', '/v1/workspaces/{wsId}/things'),
  route('createThing', 'POST', '/v1/workspaces/{wsId}/things'),
  route('getThing', 'GET', '/v1/workspaces/{wsId}/things/{thingId}'),
  route('getDefaultThing', 'GET', '/v1/workspaces/{wsId}/things/default'),
  route('listTemplates', 'GET', '/v1/templates'),
];
const router = new ApiRouter(routes);

function matched(method: string, url: string): { operationId: string; params: Record<string, string>; queryString: string | null } | undefined {
  const match = router.match(method, url);
  return match && { operationId: match.route.operationId, params: match.params, queryString: match.queryString };
}

describe('ApiRouter', () => {
  it('finds the route by method and path, with decoded params and the raw query string', () => {
    expect(matched('GET', '/v1/workspaces/ws_1/things?page=2&pageSize=5')).toEqual({
      operationId: 'listThings',
      params: { wsId: 'ws_1' },
      queryString: 'page=2&pageSize=5',
    });
    expect(matched('POST', '/v1/workspaces/ws_1/things')).toEqual({ operationId: 'createThing', params: { wsId: 'ws_1' }, queryString: null });
    expect(matched('GET', '/v1/workspaces/ws%201/things/a%2Fb/')).toEqual({
      operationId: 'getThing',
      params: { wsId: 'ws 1', thingId: 'a/b' },
      queryString: null,
    });
    expect(matched('GET', '/v1/templates?')).toEqual({ operationId: 'listTemplates', params: {}, queryString: '' });
  });

  it('prefers the route declared first, as express does', () => {
    expect(matched('GET', '/v1/workspaces/ws_1/things/default')?.operationId).toBe('getThing');
  });

  it('leaves to express what it would route differently or refuse', () => {
    for (const [method, url] of [
      ['HEAD', '/v1/templates'],
      ['DELETE', '/v1/templates'],
      ['GET', '/v1/Templates'],
      ['GET', '/v1/templates/'.concat('x')],
      ['GET', '/v1/workspaces//things'],
      ['GET', '/v1/templates//'],
      ['GET', '/v1/workspaces/%E0%A4%A/things'],
      ['GET', '/v1/templates#top'],
      ['GET', '/v1/templates?a=b c'],
      ['GET', 'http://example.com/v1/templates'],
      ['GET', '/healthz'],
    ] as const) {
      expect({ method, url, match: router.match(method, url) }).toEqual({ method, url, match: undefined });
    }
  });
});
