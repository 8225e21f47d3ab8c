import { z } from 'zod';
import { takesIdempotencyKey } from './idempotency.store';
import { buildOpenApiDocument } from './openapi.document';
import { RouteRegistry, defineRoute, type AnyRoute } from './route';

const post = (operationId: string, path: string, ignored: boolean): AnyRoute =>
  defineRoute({
    operationId,
    method: 'POST',
    path,
    summary: operationId,
    tags: ['things'],
    permission: null,
    scope: 'none',
    body: z.strictObject({ name: z.string() }),
    responses: { 200: null },
    handler: () => ({ status: 200 }),
    ...(ignored ? { idempotencyKey: 'ignored' as const } : {}),
  } as AnyRoute);

describe("routes declaring idempotencyKey: 'ignored' (a provider's webhook)", () => {
  it('take no key: POST and PATCH do, other methods and ignored routes do not', () => {
    expect(takesIdempotencyKey({ method: 'POST' })).toBe(true);
    expect(takesIdempotencyKey({ method: 'PATCH' })).toBe(true);
    expect(takesIdempotencyKey({ method: 'PUT' })).toBe(false);
    expect(takesIdempotencyKey({ method: 'POST', idempotencyKey: 'ignored' })).toBe(false);
  });

  it('document neither the header nor its 409 and 422 answers; other POSTs still do', () => {
    const document = buildOpenApiDocument(new RouteRegistry([post('createThing', '/v1/things', false), post('receiveHook', '/v1/hooks/provider', true)]), { title: 't', version: '1' }) as {
      paths: Record<string, { post: { parameters?: Array<{ name: string }>; responses: Record<string, unknown> } }>;
    };
    const shape = (path: string) => {
      const operation = document.paths[path]!.post;
      return { header: (operation.parameters ?? []).some((parameter) => parameter.name === 'Idempotency-Key'), statuses: ['409', '422'].filter((status) => status in operation.responses) };
    };
    expect(shape('/v1/things')).toEqual({ header: true, statuses: ['409', '422'] });
    expect(shape('/v1/hooks/provider')).toEqual({ header: false, statuses: [] });
  });
});
