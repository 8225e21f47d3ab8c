/**
 * Bad input on every write route of GET /openapi.json (POST, PUT, PATCH),
 * cases generated from each request body's JSON schema: invalid JSON, a body
 * that is not an object, each required field missing, each field of the wrong
 * type, strings beyond maxLength, arrays beyond maxItems, an unknown field,
 * invalid emails and date-times where the format says so, an invalid time
 * zone on PATCH /v1/me → a 400 problem naming the field, and no event
 * appended to the store.
 */
import { type Stack, type TestEnv, createTestEnv, startStack } from '@steward/testing';
import {
  BodyGenerationError,
  Fixtures,
  GatewayClient,
  type Json,
  type JsonSchema,
  type Operation,
  bodyFor,
  eventHead,
  fillPath,
  loadOperations,
  sampleOf,
} from './support/gateway-client';
import { NOTIFICATION_BODY_OVERRIDES } from '../notifications/support/notification-fixtures';

jest.setTimeout(120_000);

interface BadCase {
  readonly name: string;
  /** A JSON value, or raw text (invalid JSON). */
  readonly body?: unknown;
  readonly rawBody?: string;
  /** The field the 400 must name. */
  readonly field: string;
}

/** Valid bodies where the required fields alone are not enough for the route to do something. */
const BASE_OVERRIDES: Record<string, Record<string, Json>> = {
  changeMemberRole: { role: 'member' },
  updateWorkspace: { name: 'Still valid' },
  changeBillingPlan: { planId: 'standard' },
  addBillingCredits: { credits: '10' },
  updateBillingSettings: { lowBalanceThresholds: ['100'] },
  recordInvoicePayment: { amountUsd: '49.00' },
  adjustBillingCredits: { amountCredits: '-1', reason: 'bad input suite' },
  ...(NOTIFICATION_BODY_OVERRIDES as unknown as Record<string, Record<string, Json>>),
  createAnnouncement: { kind: 'release', audience: { type: 'all' } },
  updateAnnouncement: { title: 'Still valid' },
};

const UNKNOWN_FIELD = 'notAFieldOfThisRoute';

/** The schema itself when it is not a union; the non-null branch of a nullable one. */
function concrete(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.type)) return { ...schema, type: (schema.type as string[]).find((type) => type !== 'null') };
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  return union?.find((option) => option.type !== 'null') ?? schema;
}

/** A value of another JSON type than the schema allows (null too, unless the schema takes null). */
function wrongTypeOf(schema: JsonSchema, operationId: string, field: string): Json {
  const target = concrete(schema);
  if (Array.isArray(target.enum)) return 'not-one-of-the-values';
  switch (target.type) {
    case 'string':
      return 12_345;
    case 'integer':
    case 'number':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array':
      return 'not an array';
    case 'object':
      return 42;
    default:
      throw new BodyGenerationError(operationId, `body.${field} (wrong type)`, schema);
  }
}

function badCases(operation: Operation, base: Record<string, Json>): BadCase[] {
  const schema = operation.bodySchema as JsonSchema;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  const cases: BadCase[] = [
    { name: 'invalid JSON', rawBody: '{"almost": "json",', field: 'body' },
    // a route that takes a batch as an array (CloudEvents) refuses an array of non-objects, naming the item
    operation.acceptsArray
      ? { name: 'a JSON array of a non-object', body: [42], field: 'body.0' }
      : { name: 'a JSON array instead of an object', body: [base], field: 'body' },
  ];
  // every body of Steward's own is strict; a provider's event (Stripe's webhook) documents that it carries more fields than it names
  if (schema.additionalProperties === false) cases.push({ name: 'unknown field', body: { ...base, [UNKNOWN_FIELD]: 'x' }, field: `body.${UNKNOWN_FIELD}` });
  for (const name of required) {
    const { [name]: _omitted, ...rest } = base;
    cases.push({ name: `missing required ${name}`, body: rest, field: `body.${name}` });
  }
  for (const [name, property] of Object.entries(properties)) {
    const field = `body.${name}`;
    cases.push({ name: `wrong type of ${name}`, body: { ...base, [name]: wrongTypeOf(property, operation.operationId, name) }, field });
    const target = concrete(property);
    if (target.type === 'string' && typeof target.maxLength === 'number') {
      cases.push({ name: `${name} beyond maxLength ${target.maxLength}`, body: { ...base, [name]: 'x'.repeat(target.maxLength + 1) }, field });
    }
    if (target.type === 'string' && target.format === 'email') {
      cases.push({ name: `invalid email in ${name}`, body: { ...base, [name]: 'not-an-email@' }, field });
      cases.push({ name: `email without a domain in ${name}`, body: { ...base, [name]: 'someone' }, field });
    }
    if (target.type === 'string' && target.format === 'date-time') {
      cases.push({ name: `invalid date-time in ${name}`, body: { ...base, [name]: 'next tuesday' }, field });
    }
    if (target.type === 'array' && typeof target.maxItems === 'number') {
      const item = sampleOf(target.items as JsonSchema, operation.operationId, `${field}[]`);
      cases.push({ name: `${name} beyond maxItems ${target.maxItems}`, body: { ...base, [name]: Array.from({ length: target.maxItems + 1 }, () => item) }, field });
    }
    if (target.type === 'array' && Array.isArray((target.items as JsonSchema | undefined)?.enum)) {
      cases.push({ name: `unknown item in ${name}`, body: { ...base, [name]: ['not-one-of-the-values'] }, field: `${field}.0` });
    }
    if (target.type === 'string' && typeof target.minLength === 'number' && target.minLength > 0) {
      cases.push({ name: `${name} empty (minLength ${target.minLength})`, body: { ...base, [name]: '' }, field });
    }
  }
  return cases;
}

describe('bad input on every write route, from the OpenAPI document', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  let writes: Operation[];
  let pathValues: Record<string, string>;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    writes = (await loadOperations(client)).filter((operation) => ['POST', 'PUT', 'PATCH'].includes(operation.method));
    const invitation = await fixtures.invite(stack.ownerToken, stack.workspaceId, 'viewer');
    const member = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', 'target');
    const key = await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['read'], 'target key');
    pathValues = { orgId: stack.organizationId, wsId: stack.workspaceId, id: invitation.id, userId: member.userId, keyId: key.id, jobId: 'bad-input-job', messageId: 'msg_bad_input' };
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  it('the table: every write route of the document, each with a JSON body schema', () => {
    expect(writes.map((operation) => operation.operationId)).toEqual(
      expect.arrayContaining(['createOrganization', 'createWorkspace', 'updateWorkspace', 'inviteMember', 'acceptInvitation', 'changeMemberRole', 'updateMyProfile', 'issueApiKey']),
    );
    const withoutSchema = writes.filter((operation) => operation.bodySchema?.type !== 'object');
    expect(withoutSchema.map((operation) => operation.operationId)).toEqual([]);
  });

  it('every bad body → 400 problem naming the field, and no event appended', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const operation of writes) {
      const base = bodyFor(operation, BASE_OVERRIDES[operation.operationId]) as Record<string, Json>;
      const path = fillPath(operation, pathValues);
      const before = await eventHead(env.pool);
      for (const bad of badCases(operation, base)) {
        checked++;
        // a route naming its workspace in a header (OTLP) gets it: the body is what is judged here
        const headers = operation.workspaceHeader !== undefined ? { headers: { [operation.workspaceHeader]: stack.workspaceId } } : {};
        const answer = await client.call(operation.method, path, { token: stack.ownerToken, body: bad.body, ...(bad.rawBody !== undefined ? { rawBody: bad.rawBody } : {}), ...headers });
        const problem = answer.body as { status?: number; errors?: Array<{ field: string }> } | undefined;
        const label = `${operation.operationId} ${operation.method} ${path} — ${bad.name}`;
        if (answer.status !== 400) failures.push(`${label}: expected 400, got ${answer.status} ${answer.text.slice(0, 300)}`);
        else if (!/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '')) failures.push(`${label}: not problem+json`);
        else if (!problem?.errors?.some((error) => error.field === bad.field)) failures.push(`${label}: the problem does not name ${bad.field}: ${answer.text.slice(0, 300)}`);
      }
      const after = await eventHead(env.pool);
      if (after !== before) failures.push(`${operation.operationId}: bad input appended ${after - before} event(s)`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  it('PATCH /v1/me: an invalid IANA time zone is a 400 naming body.timeZone; a valid one is taken', async () => {
    const before = await eventHead(env.pool);
    for (const timeZone of ['Mars/Olympus_Mons', 'UTC+25', 'europe/paris ', '']) {
      const answer = await client.call('PATCH', '/v1/me', { token: stack.ownerToken, body: { timeZone } });
      expect({ timeZone, status: answer.status }).toEqual({ timeZone, status: 400 });
      expect((answer.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain('body.timeZone');
    }
    expect(await eventHead(env.pool)).toBe(before);
    const valid = await client.call('PATCH', '/v1/me', { token: stack.ownerToken, body: { timeZone: 'Europe/Paris' } });
    expect(valid.status).toBe(200);
    expect(await eventHead(env.pool)).toBeGreaterThan(before);
  });

  it('control: the valid base body of a write is accepted and appends (the head does move)', async () => {
    const invite = writes.find((operation) => operation.operationId === 'inviteMember') as Operation;
    const before = await eventHead(env.pool);
    const answer = await client.call('POST', fillPath(invite, pathValues), { token: stack.ownerToken, body: bodyFor(invite) });
    expect(answer.status).toBe(201);
    expect(await eventHead(env.pool)).toBeGreaterThan(before);
  });
});
