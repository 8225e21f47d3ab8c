import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { takesIdempotencyKey } from './idempotency.store';
import { bodyOptional } from './body-reader';
import { type AnyRoute, type RouteRegistry, pathParamNames } from './route';

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

type JsonSchema = Record<string, unknown>;

const COMPONENT_NAME = /[^A-Za-z0-9._-]/g;

/**
 * Turns zod schemas into the document's schemas. zod puts the definitions a schema refers to (a recursive
 * JSON value, a shared part) in its own `$defs` with references `#/$defs/<name>`, which mean nothing inside an
 * OpenAPI document: they are hoisted into `components/schemas` (`<context>_<name>`, the context being where
 * they came from, e.g. `recordJobSteps_body`) and every reference is rewritten to point there.
 */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};

  schema(schema: z.ZodType, io: 'input' | 'output', context: string): JsonSchema {
    const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
    const defs = ($defs ?? {}) as Record<string, JsonSchema>;
    if (Object.keys(defs).length === 0) return rest;
    const names: Record<string, string> = {};
    for (const name of Object.keys(defs)) names[name] = `${context}_${name}`.replace(COMPONENT_NAME, '_');
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== 'object') return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
          const target = names[item.slice('#/$defs/'.length)];
          out[key] = target === undefined ? item : `#/components/schemas/${target}`;
        } else out[key] = rewrite(item);
      }
      return out;
    };
    for (const [name, definition] of Object.entries(defs)) {
      const cyclic = new Set(Object.keys(defs).filter((other) => reaches(defs, other, name)));
      this.components[names[name] as string] = rewrite(cyclic.size > 0 ? unrolledOnce(definition, cyclic) : definition) as JsonSchema;
    }
    return rewrite(rest) as JsonSchema;
  }
}

function refsOf(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsOf(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) found.add(item.slice('#/$defs/'.length));
      else refsOf(item, found);
    }
  }
  return found;
}

/** Whether definition `from` refers, directly or through others, to definition `to`. */
function reaches(defs: Record<string, JsonSchema>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const pending = [...refsOf(defs[from])];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (next === to) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...refsOf(defs[next]));
  }
  return false;
}

/**
 * A recursive definition (a JSON value: scalars, arrays and objects of JSON values) with its references back
 * into the cycle made `{}` (any value): generated TypeScript cannot name a type by indexing itself, so clients
 * see the first level's shape and `unknown` below it. The server still validates the whole depth.
 */
function unrolledOnce(value: unknown, cyclic: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => unrolledOnce(item, cyclic));
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/') && cyclic.has(ref.slice('#/$defs/'.length))) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, unrolledOnce(item, cyclic)]));
}

function objectProperties(collector: SchemaCollector, schema: z.ZodType | undefined, context: string): Array<[string, JsonSchema, boolean]> {
  if (!schema) return [];
  const document = collector.schema(schema, 'input', context);
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

const RATE_LIMIT_HEADERS: Record<string, JsonSchema> = {
  'RateLimit-Limit': { description: 'Requests allowed per window for this caller', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window ends', schema: { type: 'integer' } },
  'RateLimit-Policy': { description: 'The limit and its window: `<limit>;w=<seconds>`', schema: { type: 'string' } },
};
const RETRY_AFTER: JsonSchema = { description: 'Seconds to wait before sending the request again', schema: { type: 'integer', minimum: 1 } };
const COMPONENT_HEADERS: Record<string, JsonSchema> = { ...RATE_LIMIT_HEADERS, 'Retry-After': RETRY_AFTER };

/** Every answer of an authenticated or rate-limited request carries the rate-limit headers. */
function headerRefs(names: readonly string[]): JsonSchema {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}
const RATE_LIMITED = Object.keys(RATE_LIMIT_HEADERS);

function problemResponse(description: string, extraHeaders: readonly string[] = []): JsonSchema {
  return {
    description,
    headers: headerRefs([...RATE_LIMITED, ...extraHeaders]),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

function tenantHeaders(route: AnyRoute): JsonSchema[] {
  const source = route.tenantFrom?.workspace;
  if (!source || !('header' in source)) return [];
  return [
    {
      name: source.header,
      in: 'header',
      required: false,
      description: route.tenantFrom?.workspaceRequired ? 'The workspace (required for a person; an API key acts in its own)' : 'The workspace',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' },
    },
  ];
}

function operation(collector: SchemaCollector, route: AnyRoute): JsonSchema {
  const id = route.operationId;
  const parameters: JsonSchema[] = [
    ...objectProperties(collector, route.params, `${id}_path`).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
    ...objectProperties(collector, route.query, `${id}_query`).map(([name, schema, required]) => ({ name, in: 'query', required, schema })),
  ];
  const missing = pathParamNames(route.path).filter((name) => !parameters.some((parameter) => parameter.in === 'path' && parameter.name === name));
  for (const name of missing) parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  parameters.push(...tenantHeaders(route));
  for (const header of route.headers ?? []) {
    const schema = header.schema ? collector.schema(header.schema, 'input', `${id}_${header.name}`) : { type: 'string' };
    parameters.push({ name: header.name, in: 'header', required: false, description: header.description, schema });
  }
  if (takesIdempotencyKey(route)) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Makes a retry safe: the same request again gets the first answer; the same key with another request is a 422',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    });
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, schema] of Object.entries(route.responses)) {
    const description = STATUS_CODES[Number(status)] ?? 'Response';
    const streamed = route.openApi?.responseContent?.[Number(status)];
    const content = {
      ...(schema ? { 'application/json': { schema: collector.schema(schema, 'output', `${id}_${status}`) } } : {}),
      ...(streamed ? { [streamed.mediaType]: { schema: streamed.schema } } : {}),
    };
    responses[status] = { description, headers: headerRefs(RATE_LIMITED), ...(Object.keys(content).length > 0 ? { content } : {}) };
  }
  responses['400'] = problemResponse('Invalid request: every bad field is named');
  if (route.permission !== null) {
    responses['401'] = problemResponse('No valid credentials');
    responses['403'] = problemResponse('Access Restricted');
  }
  if (route.scope !== 'none' || route.params || route.tenantFrom) responses['404'] = problemResponse('Not found, or outside your organization or workspace');
  if (takesIdempotencyKey(route)) {
    responses['409'] = problemResponse('A request with this Idempotency-Key is in progress (see Retry-After), or a conflicting change', ['Retry-After']);
    responses['422'] = problemResponse('Idempotency-Key reused with another request');
  }
  if (route.body || route.rawBody) {
    responses['413'] = problemResponse('Body too large');
    responses['415'] = problemResponse('Unsupported media type of the body');
  }
  responses['429'] = problemResponse('Rate limit exceeded: see Retry-After', ['Retry-After']);
  responses['503'] = problemResponse('A service or store Steward needs is unavailable: send the same request again after Retry-After', ['Retry-After']);
  const bodyContent: Record<string, JsonSchema> = {};
  if (route.body) bodyContent['application/json'] = { schema: collector.schema(route.body, 'input', `${id}_body`) };
  for (const [media, schema] of Object.entries(route.rawBody?.content ?? {})) {
    bodyContent[media] = { schema: collector.schema(schema, 'input', `${id}_${media.replace(/^application\//, '')}`) };
  }
  for (const [media, schema] of Object.entries(route.openApi?.requestContent ?? {})) bodyContent[media] = { schema };
  const hasBody = Object.keys(bodyContent).length > 0;
  return {
    operationId: id,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [...route.tags],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(hasBody ? { requestBody: { required: route.body ? !bodyOptional(route.body) : true, content: bodyContent } } : {}),
    responses,
    // a public route: no credentials needed, and a person may still send theirs (accepting an invitation signed in)
    ...(route.permission === null ? { security: [{}, { bearer: [] }] } : {}),
    'x-permission': route.permission,
    'x-scope': route.scope,
  };
}

/** The OpenAPI 3.1 document of every registered route. */
export function buildOpenApiDocument(registry: RouteRegistry, info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const collector = new SchemaCollector();
  for (const route of registry.routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(collector, route);
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA, ...collector.components },
      headers: COMPONENT_HEADERS,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A user token or an API key (stw_…)' },
      },
    },
    security: [{ bearer: [] }],
  };
}
