import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { bodyOptional } from './body-reader';
import { type AnyRoute, type RouteRegistry, pathParamNames } from './route';

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function objectProperties(schema: z.ZodType | undefined): Array<[string, JsonSchema, boolean]> {
  if (!schema) return [];
  const document = jsonSchema(schema, 'input');
  const properties = (document.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((document.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => [name, property, required.has(name)]);
}

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'instance'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

function problemResponse(description: string): JsonSchema {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } };
}

function operation(route: AnyRoute): JsonSchema {
  const parameters: Array<{ name: string; in: string; required: boolean; schema: JsonSchema; description?: string }> = [
    ...objectProperties(route.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
    ...objectProperties(route.query).map(([name, schema, required]) => ({ name, in: 'query', required, schema })),
  ];
  const missing = pathParamNames(route.path).filter((name) => !parameters.some((parameter) => parameter.in === 'path' && parameter.name === name));
  for (const name of missing) parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  for (const header of route.headers ?? []) {
    parameters.push({ name: header.name, in: 'header', required: false, description: header.description, schema: header.schema ? jsonSchema(header.schema, 'input') : { type: 'string' } });
  }
  if (route.method === 'POST') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    });
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, schema] of Object.entries(route.responses)) {
    const description = STATUS_CODES[Number(status)] ?? 'Response';
    responses[status] = schema ? { description, content: { 'application/json': { schema: jsonSchema(schema, 'output') } } } : { description };
  }
  responses['400'] = problemResponse('Invalid request: every bad field is named');
  if (route.permission !== null) {
    responses['401'] = problemResponse('No valid credentials');
    responses['403'] = problemResponse('Access Restricted');
  }
  if (route.scope !== 'none' || route.params) responses['404'] = problemResponse('Not found, or outside your organization or workspace');
  if (route.method === 'POST') {
    responses['409'] = problemResponse('A request with this Idempotency-Key is in progress, or a conflicting change');
    responses['422'] = problemResponse('Idempotency-Key reused with another body');
  }
  if (route.body || route.rawBody) {
    responses['413'] = problemResponse('Body too large');
    responses['415'] = problemResponse('Body is not application/json');
  }
  responses['429'] = problemResponse('Rate limit exceeded: see Retry-After');
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [...route.tags],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: !bodyOptional(route.body), content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    ...(route.rawBody
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(Object.entries(route.rawBody.content).map(([media, schema]) => [media, { schema: jsonSchema(schema, 'input') }])),
          },
        }
      : {}),
    responses,
    ...(route.permission === null ? { security: [] } : {}),
    'x-permission': route.permission,
    'x-scope': route.scope,
  };
}

/** The OpenAPI 3.1 document of every registered route. */
export function buildOpenApiDocument(registry: RouteRegistry, info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of registry.routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A user token or an API key (stw_…)' },
      },
    },
    security: [{ bearer: [] }],
  };
}
