/**
 * What the gateway end-to-end suites share: a small HTTP client, the
 * operations of GET /openapi.json, a request-body generator from their JSON
 * schemas, and fixtures built through the public API only (organizations,
 * workspaces, invitations accepted with their token, API keys).
 */
import { randomBytes } from 'node:crypto';
import type { Stack } from '@steward/testing';
import { waitFor } from '@steward/testing';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = Record<string, unknown>;

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly body: unknown;
}

export interface CallOptions {
  readonly token?: string | undefined;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is with content-type application/json (for invalid JSON). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export class GatewayClient {
  constructor(readonly url: string) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    // a live stream (Server-Sent Events) never ends: its status and headers are the answer
    if (/^text\/event-stream/.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel();
      return { status: response.status, headers: response.headers, text: '', body: undefined };
    }
    const text = await response.text();
    let parsed: unknown;
    if (/json/.test(response.headers.get('content-type') ?? '')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  /** A call that must answer `status`; the error shows the whole answer. */
  async expect<T = Record<string, unknown>>(status: number, method: string, path: string, options: CallOptions = {}): Promise<T> {
    const answer = await this.call(method, path, options);
    if (answer.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${answer.status}: ${answer.text.slice(0, 600)}`);
    return answer.body as T;
  }
}

// ---------------------------------------------------------------- OpenAPI

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly permission: string | null;
  readonly scope: 'workspace' | 'organization' | 'none';
  readonly pathParams: readonly string[];
  readonly bodySchema: JsonSchema | undefined;
  /** Some media type of the request body is an array (CloudEvents batches): a JSON array is a valid body too. */
  readonly acceptsArray?: boolean;
  /** The header naming the workspace of a route whose path names none (`X-Steward-Workspace` on OTLP). */
  readonly workspaceHeader?: string;
}

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Record<string, unknown>>>;
}

/** The header a person names the workspace with on routes whose path names none. */
export const WORKSPACE_HEADER = 'X-Steward-Workspace';

export async function loadOperations(client: GatewayClient): Promise<Operation[]> {
  const document = await client.expect<OpenApiDocument>(200, 'GET', '/openapi.json');
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      const parameters = (raw.parameters ?? []) as Array<{ name: string; in: string }>;
      const requestBody = raw.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined;
      operations.push({
        operationId: String(raw.operationId),
        method: method.toUpperCase(),
        path,
        permission: (raw['x-permission'] as string | null | undefined) ?? null,
        scope: raw['x-scope'] as Operation['scope'],
        pathParams: parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        bodySchema: requestBody?.content?.['application/json']?.schema,
        acceptsArray: Object.values(requestBody?.content ?? {}).some((media) => media.schema?.type === 'array'),
        ...(parameters.some((parameter) => parameter.in === 'header' && parameter.name === WORKSPACE_HEADER) ? { workspaceHeader: WORKSPACE_HEADER } : {}),
      });
    }
  }
  return operations;
}

/**
 * Path parameters that are names rather than a tenant's resource ids (a PUT on them creates the thing):
 * every suite fills them with these values, and the tenant-walls suite does not treat them as ids of another tenant.
 */
export const NAMED_PATH_VALUES: Readonly<Record<string, string>> = { provider: 'openai', model: 'gpt-4o' };

export function fillPath(operation: Operation, values: Record<string, string>): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? NAMED_PATH_VALUES[name];
    if (value === undefined) throw new Error(`${operation.operationId}: no value for path parameter {${name}}`);
    return encodeURIComponent(value);
  });
}

// ---------------------------------------------------------------- bodies

export class BodyGenerationError extends Error {
  readonly code = 'BODY_NOT_GENERATED';

  constructor(operationId: string, where: string, schema: unknown) {
    super(`cannot generate a request body for ${operationId}: ${where} has an unsupported schema ${JSON.stringify(schema)}`);
    this.name = 'BodyGenerationError';
  }
}

export function uniqueEmail(label = 'someone'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

/**
 * A minimal valid value of a JSON schema: required properties only; the
 * last enum value (the least privileged one: `viewer` of the roles);
 * strings of minLength (at least 1) with `format` email, uuid and date-time
 * handled. Anything it does not know throws, naming the operation and field.
 */
export function sampleOf(schema: JsonSchema, operationId: string, where = 'body'): Json {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[schema.enum.length - 1] as Json;
  if (schema.const !== undefined) return schema.const as Json;
  if (Array.isArray(schema.type)) {
    // `type: ["string", "null"]`: a value of the first non-null type
    const type = (schema.type as string[]).find((candidate) => candidate !== 'null');
    if (type === undefined) return null;
    return sampleOf({ ...schema, type }, operationId, where);
  }
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) {
    const candidate = union.find((option) => option.type !== 'null');
    if (!candidate) throw new BodyGenerationError(operationId, where, schema);
    return sampleOf(candidate, operationId, where);
  }
  switch (schema.type) {
    case 'string':
      return sampleString(schema, operationId, where);
    case 'integer':
    case 'number': {
      const minimum = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
      return schema.type === 'integer' ? Math.ceil(minimum) : minimum;
    }
    case 'boolean':
      return true;
    case 'array': {
      const items = schema.items as JsonSchema | undefined;
      if (!items) throw new BodyGenerationError(operationId, where, schema);
      const count = Math.max(1, typeof schema.minItems === 'number' ? schema.minItems : 1);
      return Array.from({ length: count }, () => sampleOf(items, operationId, `${where}[]`));
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      const value: Record<string, Json> = {};
      for (const name of required) {
        const property = properties[name];
        if (!property) throw new BodyGenerationError(operationId, `${where}.${name}`, schema);
        value[name] = sampleOf(property, operationId, `${where}.${name}`);
      }
      return value;
    }
    default:
      throw new BodyGenerationError(operationId, where, schema);
  }
}

function sampleString(schema: JsonSchema, operationId: string, where: string): string {
  const format = schema.format as string | undefined;
  if (format === 'email') return uniqueEmail('generated');
  if (format === 'uuid') return '3f0b8e52-5d0c-4c59-9a56-1b6f1f3c2a10';
  if (format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
  if (format !== undefined) throw new BodyGenerationError(operationId, where, schema);
  if (schema.pattern !== undefined) throw new BodyGenerationError(operationId, where, schema);
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 1;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Number.MAX_SAFE_INTEGER;
  // no space: the same sample is a valid name and a valid client-supplied id (a CloudEvent's `id`)
  return `e2e-${randomBytes(3).toString('hex')}`.padEnd(minLength, 'x').slice(0, maxLength);
}

/** The body of an operation: a sample of its schema (undefined when it takes none). */
export function bodyFor(operation: Operation, overrides: Record<string, Json> = {}): Json | undefined {
  if (!operation.bodySchema) return undefined;
  const sample = sampleOf(operation.bodySchema, operation.operationId);
  return typeof sample === 'object' && sample !== null && !Array.isArray(sample) ? { ...sample, ...overrides } : sample;
}

// ---------------------------------------------------------------- fixtures

export type RoleName = 'owner' | 'admin' | 'billing' | 'member' | 'viewer';

export interface Person {
  readonly userId: string;
  readonly email: string;
  readonly token: string;
}

export interface Issued {
  readonly id: string;
  readonly token: string;
}

/** Fixtures through the public API, each step waiting for the read model it depends on. */
export class Fixtures {
  constructor(readonly client: GatewayClient) {}

  async invite(adminToken: string, workspaceId: string, role: RoleName, email = uniqueEmail(role)): Promise<Issued & { email: string }> {
    const invitation = await this.client.expect<{ id: string; token: string }>(201, 'POST', `/v1/workspaces/${workspaceId}/invitations`, {
      token: adminToken,
      body: { email, role },
    });
    await waitFor(`invitation ${invitation.id} in the read model`, async () => {
      const answer = await this.client.call('GET', `/v1/workspaces/${workspaceId}/invitations/${invitation.id}`, { token: adminToken });
      return answer.status === 200 ? true : undefined;
    });
    return { id: invitation.id, token: invitation.token, email };
  }

  /** Invites a new person and accepts as them (not signed in): their user token, once they are a member. */
  async newMember(adminToken: string, workspaceId: string, role: RoleName, label: string = role): Promise<Person> {
    const invitation = await this.invite(adminToken, workspaceId, role, uniqueEmail(label));
    const accepted = await this.client.expect<{ userId: string; token: string }>(201, 'POST', '/v1/invitations/accept', {
      body: { token: invitation.token, name: `E2E ${label}` },
    });
    await this.waitForMember(adminToken, workspaceId, accepted.userId, role);
    return { userId: accepted.userId, email: invitation.email, token: accepted.token };
  }

  async waitForMember(adminToken: string, workspaceId: string, userId: string, role: RoleName | 'absent'): Promise<void> {
    await waitFor(`member ${userId} of ${workspaceId} to be ${role}`, async () => {
      const answer = await this.client.call('GET', `/v1/workspaces/${workspaceId}/members/${userId}`, { token: adminToken });
      if (role === 'absent') return answer.status === 404 ? true : undefined;
      return answer.status === 200 && (answer.body as { role?: string }).role === role ? true : undefined;
    });
  }

  async createWorkspace(ownerToken: string, organizationId: string, name: string): Promise<string> {
    const workspace = await this.client.expect<{ id: string }>(201, 'POST', `/v1/organizations/${organizationId}/workspaces`, {
      token: ownerToken,
      body: { name },
    });
    await waitFor(`workspace ${workspace.id} in the read model`, async () => {
      const answer = await this.client.call('GET', `/v1/workspaces/${workspace.id}`, { token: ownerToken });
      return answer.status === 200 ? true : undefined;
    });
    return workspace.id;
  }

  async issueApiKey(adminToken: string, workspaceId: string, scopes: readonly string[], name = 'e2e key'): Promise<Issued & { prefix: string }> {
    const key = await this.client.expect<{ id: string; key: string; prefix: string }>(201, 'POST', `/v1/workspaces/${workspaceId}/api-keys`, {
      token: adminToken,
      body: { name, scopes },
    });
    await waitFor(`API key ${key.id} to authenticate`, async () => {
      const answer = await this.client.call('GET', `/v1/workspaces/${workspaceId}`, { token: key.key });
      return answer.status === 401 ? undefined : true;
    });
    return { id: key.id, token: key.key, prefix: key.prefix };
  }

  /**
   * Another organization, whose owner belongs to no other one: a person
   * joins the stack's workspace, creates an organization, and is removed
   * from the stack's workspace again.
   */
  async otherOrganization(stack: Stack, label: string): Promise<{ owner: Person; organizationId: string; workspaceId: string; name: string }> {
    const person = await this.newMember(stack.ownerToken, stack.workspaceId, 'viewer', label);
    const name = `Org ${label} ${randomBytes(3).toString('hex')}`;
    const created = await this.client.expect<{ id: string; workspace: { id: string } }>(201, 'POST', '/v1/organizations', {
      token: person.token,
      body: { name, workspaceName: `${label} main` },
    });
    await this.client.expect(204, 'DELETE', `/v1/workspaces/${stack.workspaceId}/members/${person.userId}`, { token: stack.ownerToken });
    await this.waitForMember(stack.ownerToken, stack.workspaceId, person.userId, 'absent');
    await waitFor(`organization ${created.id} to answer its owner`, async () => {
      const answer = await this.client.call('GET', `/v1/workspaces/${created.workspace.id}`, { token: person.token });
      return answer.status === 200 ? true : undefined;
    });
    return { owner: person, organizationId: created.id, workspaceId: created.workspace.id, name };
  }
}

/**
 * The event store's head (global position of the last event; 0 when empty) as requests move it. Billing's
 * own reactions are left out: the billing service appends to an organization's account as the system, on its
 * own time, after earlier writes (an organization created opens its account, recorded usage is consumed),
 * never for the request under test; a person's billing command is a user's append and counts.
 */
export async function eventHead(pool: { query: (text: string) => Promise<{ rows: Array<Record<string, unknown>> }> }): Promise<number> {
  const { rows } = await pool.query(
    `SELECT coalesce(max(global_position), 0)::text AS head FROM steward_events.events
      WHERE NOT (stream_id LIKE 'billing-account-%' AND metadata->'actor'->>'type' = 'system')`,
  );
  return Number(rows[0]?.head ?? 0);
}

/** A job started through the API (as `token`), once its detail answers: a fixture for the job routes' path parameter. */
export async function startJobFixture(client: GatewayClient, token: string, workspaceId: string, jobId: string): Promise<string> {
  await client.expect(201, 'POST', `/v1/workspaces/${workspaceId}/jobs`, { token, body: { jobId, agent: 'fixture-agent' } });
  await waitFor(`job ${jobId} in the read model`, async () => {
    const answer = await client.call('GET', `/v1/workspaces/${workspaceId}/jobs/${jobId}`, { token });
    return answer.status === 200 ? true : undefined;
  });
  return jobId;
}
