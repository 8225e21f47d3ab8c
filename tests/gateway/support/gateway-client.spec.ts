import { BodyGenerationError, type Operation, bodyFor, fillPath, sampleOf } from './gateway-client';

describe('the request-body generator of the gateway e2e suites', () => {
  it('fills required fields only: strings within bounds, emails, uuids, date-times, the last enum value, numbers, booleans, arrays', () => {
    const body = sampleOf(
      {
        type: 'object',
        required: ['name', 'email', 'id', 'at', 'role', 'count', 'flag', 'scopes', 'nested', 'maybe'],
        properties: {
          name: { type: 'string', minLength: 12, maxLength: 14 },
          email: { type: 'string', format: 'email' },
          id: { type: 'string', format: 'uuid' },
          at: { type: 'string', format: 'date-time' },
          role: { type: 'string', enum: ['owner', 'viewer'] },
          count: { type: 'integer', minimum: 3 },
          flag: { type: 'boolean' },
          scopes: { type: 'array', items: { type: 'string', enum: ['read', 'jobs:write'] }, minItems: 2 },
          nested: { type: 'object', required: ['x'], properties: { x: { type: ['string', 'null'] } } },
          maybe: { anyOf: [{ type: 'null' }, { type: 'number' }] },
          optional: { type: 'string' },
        },
      },
      'op',
    ) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['at', 'count', 'email', 'flag', 'id', 'maybe', 'name', 'nested', 'role', 'scopes']);
    expect((body.name as string).length).toBeGreaterThanOrEqual(12);
    expect((body.name as string).length).toBeLessThanOrEqual(14);
    expect(body.email).toMatch(/^[^@\s]+@example\.test$/);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.at as string)).toBeGreaterThan(Date.now());
    expect(body).toMatchObject({ role: 'viewer', count: 3, flag: true, scopes: ['jobs:write', 'jobs:write'], maybe: 1 });
    expect(typeof (body.nested as { x: unknown }).x).toBe('string');
  });

  it('fails loudly, naming the operation and field, on what it cannot generate', () => {
    expect(() => sampleOf({ type: 'object', required: ['code'], properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } } }, 'createThing')).toThrow(
      BodyGenerationError,
    );
    expect(() => sampleOf({ type: 'object', required: ['code'], properties: { code: { type: 'string', format: 'ipv6' } } }, 'createThing')).toThrow(
      /createThing: body\.code/,
    );
    expect(() => sampleOf({ type: 'object', required: ['ghost'], properties: {} }, 'createThing')).toThrow(/body\.ghost/);
  });

  it('bodyFor: none without a schema, overrides on top; fillPath names a missing parameter', () => {
    const operation: Operation = {
      operationId: 'changeThing',
      method: 'PATCH',
      path: '/v1/workspaces/{wsId}/things/{id}',
      permission: 'x',
      scope: 'workspace',
      pathParams: ['wsId', 'id'],
      bodySchema: { type: 'object', required: ['role'], properties: { role: { enum: ['a', 'b'] } } },
    };
    expect(bodyFor(operation, { role: 'a', extra: 1 })).toEqual({ role: 'a', extra: 1 });
    expect(bodyFor({ ...operation, bodySchema: undefined })).toBeUndefined();
    expect(fillPath(operation, { wsId: 'ws 1', id: 'x' })).toBe('/v1/workspaces/ws%201/things/x');
    expect(() => fillPath(operation, { wsId: 'w' })).toThrow(/changeThing: no value for path parameter \{id\}/);
  });
});
