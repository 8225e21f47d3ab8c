import { z } from 'zod';
import { GatewayError } from './gateway.error';
import { refuseUnstorableParams, storableInputErrors, validateInput } from './request-validation';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return (error.errors ?? []).map((error) => error.field);
    throw error;
  }
  return [];
}

describe('what the edge refuses before any schema', () => {
  const route = {
    params: z.strictObject({ wsId: z.string() }),
    query: z.strictObject({ search: z.string().optional(), page: z.string().optional() }),
    body: z.strictObject({ name: z.string(), parameters: z.unknown().optional() }),
  };

  it('names every query parameter, path parameter and body field holding NUL or a lone surrogate', () => {
    const fields = fieldsOf(() =>
      validateInput(route, { params: { wsId: 'ws\u0000' }, query: { search: '%\u0000', page: ['1', 'x\ud800'] }, body: { name: 'ok', parameters: { deep: ['fine', 'bad\u0000'] } } }),
    );
    expect(fields).toEqual(['path.wsId', 'query.search', 'query.page.1', 'body.parameters.deep.1']);
  });

  it('refuses a body nested 5,000 deep naming where the limit was passed, without overflowing the stack', () => {
    const fields = fieldsOf(() => validateInput(route, { params: { wsId: 'ws' }, query: {}, body: { name: 'x', parameters: nested(5000) } }));
    expect(fields).toHaveLength(1);
    expect(fields[0]).toMatch(/^body\.parameters(\.a){63}$/);
  });

  it('names a field name holding NUL, and a number beyond a double', () => {
    expect(storableInputErrors({ params: {}, query: {}, body: { ['na\u0000me']: 1, n: Infinity } }, false).map((error) => error.field)).toEqual(['body.na\u0000me', 'body.n']);
  });

  it('leaves the text of a raw batch to its items (each refused by index) but still refuses its depth', () => {
    const batch = { events: [{ agent: 'bad\u0000' }, { agent: 'fine' }] };
    expect(storableInputErrors({ params: {}, query: {}, body: batch }, true)).toEqual([]);
    expect(storableInputErrors({ params: {}, query: {}, body: { events: [nested(100)] } }, true).map((error) => error.message)).toEqual(['nested at most 63 deep']);
  });

  it('refuses a path parameter no store could hold before the authorizer looks it up', () => {
    expect(fieldsOf(() => refuseUnstorableParams({ wsId: 'a\u0000b' }))).toEqual(['path.wsId']);
    expect(fieldsOf(() => refuseUnstorableParams({}, { workspaceId: '\u0000' }))).toEqual(['query.workspaceId']);
    expect(fieldsOf(() => refuseUnstorableParams({ wsId: 'ws-1' }))).toEqual([]);
  });
});
