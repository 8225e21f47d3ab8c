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
import { budgetFixture } from '../budgets/support/budget-fixtures';
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
  defineBudget: { period: 'daily', limitUsd: '100' },
  changeBudget: { limitUsd: '100' },
  reserveBudget: { estimatedCostUsd: '0.01' },
};

/** Values the schema's types let through and the route must refuse, per operation (on top of the generated cases). */
const RULE_CASES: Record<string, ReadonlyArray<{ name: string; set: Record<string, Json>; field: string }>> = {
  defineBudget: [
    { name: 'a limit of 0', set: { limitUsd: '0' }, field: 'body.limitUsd' },
    { name: 'a negative limit', set: { limitUsd: '-5' }, field: 'body.limitUsd' },
    { name: 'a limit in exponent notation', set: { limitUsd: '1e3' }, field: 'body.limitUsd' },
    { name: 'a limit beyond 10,000,000', set: { limitUsd: '10000000.01' }, field: 'body.limitUsd' },
    { name: 'a limit as a number', set: { limitUsd: 100 }, field: 'body.limitUsd' },
    { name: 'thresholds twice the same', set: { thresholds: [50, 50] }, field: 'body.thresholds' },
    { name: 'a threshold of 0', set: { thresholds: [0] }, field: 'body.thresholds.0' },
    { name: 'a threshold beyond 1000', set: { thresholds: [1001] }, field: 'body.thresholds.0' },
    { name: 'no thresholds', set: { thresholds: [] }, field: 'body.thresholds' },
    { name: 'a fractional threshold', set: { thresholds: [50.5] }, field: 'body.thresholds.0' },
    { name: 'a period that is not one', set: { period: 'yearly' }, field: 'body.period' },
    { name: 'an enforcement that is not one', set: { enforcement: 'warn' }, field: 'body.enforcement' },
    { name: 'a time zone that is not one', set: { timeZone: 'Mars/Olympus_Mons' }, field: 'body.timeZone' },
    { name: 'an unknown scope field', set: { scope: { team: 'x' } }, field: 'body.scope.team' },
    { name: 'an empty agent in the scope', set: { scope: { agent: '' } }, field: 'body.scope.agent' },
    { name: 'a blank name', set: { name: '   ' }, field: 'body.name' },
  ],
  changeBudget: [
    { name: 'nothing to change', set: { limitUsd: undefined as unknown as Json }, field: 'body' },
    { name: 'a limit of 0', set: { limitUsd: '0' }, field: 'body.limitUsd' },
    { name: 'a threshold beyond 1000', set: { thresholds: [1001] }, field: 'body.thresholds.0' },
    { name: 'a time zone that is not one', set: { timeZone: 'UTC+25' }, field: 'body.timeZone' },
  ],
  reserveBudget: [
    { name: 'an estimate of 0', set: { estimatedCostUsd: '0' }, field: 'body.estimatedCostUsd' },
    { name: 'a negative estimate', set: { estimatedCostUsd: '-1' }, field: 'body.estimatedCostUsd' },
    { name: 'an estimate beyond 10,000,000', set: { estimatedCostUsd: '10000001' }, field: 'body.estimatedCostUsd' },
    { name: 'an estimate as a number', set: { estimatedCostUsd: 0.5 }, field: 'body.estimatedCostUsd' },
    { name: 'a TTL of 0', set: { ttlSeconds: 0 }, field: 'body.ttlSeconds' },
    { name: 'a TTL beyond an hour', set: { ttlSeconds: 3601 }, field: 'body.ttlSeconds' },
    { name: 'a fractional TTL', set: { ttlSeconds: 1.5 }, field: 'body.ttlSeconds' },
  ],
};

/** Path values per operation where the shared ones name no such thing (a budget's {id}). */
type PathOverrides = Record<string, Record<string, string>>;

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
  let pathOverrides: PathOverrides;
  /** The workspace's block budget of 100 USD: no refused reservation may hold any of it, no refused change alter it. */
  let budgetId: string;

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
    budgetId = await budgetFixture(client, stack.ownerToken, stack.workspaceId, 'bad input target', { enforcement: 'block' });
    pathOverrides = { changeBudget: { id: budgetId } };
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
      const path = fillPath(operation, { ...pathValues, ...pathOverrides[operation.operationId] });
      const before = await eventHead(env.pool);
      const rules = (RULE_CASES[operation.operationId] ?? []).map((rule): BadCase => ({ name: rule.name, body: { ...base, ...rule.set }, field: rule.field }));
      for (const bad of [...badCases(operation, base), ...rules]) {
        checked++;
        // a route naming its workspace in a header (OTLP) gets it: the body is what is judged here
        const headers = operation.workspaceHeader !== undefined ? { headers: { [operation.workspaceHeader]: stack.workspaceId } } : {};
        const answer = await client.call(operation.method, path, { token: stack.ownerToken, body: bad.body, ...(bad.rawBody !== undefined ? { rawBody: bad.rawBody } : {}), ...headers });
        const problem = answer.body as { status?: number; errors?: Array<{ field: string }> } | undefined;
        const label = `${operation.operationId} ${operation.method} ${path} — ${bad.name}`;
        if (answer.status !== 400) failures.push(`${label}: expected 400, got ${answer.status} ${answer.text.slice(0, 300)}`);
        else if (!/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '')) failures.push(`${label}: not problem+json`);
        else if (!problem?.errors?.some((error) => error.field === bad.field)) failures.push(`${label}: the problem does not name ${bad.field}: ${answer.text.slice(0, 300)}`);
        // nothing changed after each refusal: no event, and (budgets) neither the budget nor its headroom
        if ((await eventHead(env.pool)) !== before) failures.push(`${label}: the refused request appended an event`);
        if (operation.operationId in RULE_CASES) {
          const unchanged = await budgetUnchanged();
          if (unchanged) failures.push(`${label}: ${unchanged}`);
        }
      }
      const after = await eventHead(env.pool);
      if (after !== before) failures.push(`${operation.operationId}: bad input appended ${after - before} event(s)`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  /** Undefined while the block budget is as defined and no hold is taken on it; else what changed. */
  async function budgetUnchanged(): Promise<string | undefined> {
    const budget = await client.call('GET', `/v1/workspaces/${stack.workspaceId}/budgets/${budgetId}`, { token: stack.ownerToken });
    const view = budget.body as { name?: string; limitUsd?: string; thresholds?: number[]; enforcement?: string; timeZone?: string } | undefined;
    const expected = { name: 'bad input target', limitUsd: '100', thresholds: [50, 80, 100], enforcement: 'block', timeZone: 'UTC' };
    const seen = { name: view?.name, limitUsd: view?.limitUsd, thresholds: view?.thresholds, enforcement: view?.enforcement, timeZone: view?.timeZone };
    if (JSON.stringify(seen) !== JSON.stringify(expected)) return `the budget changed: ${budget.status} ${budget.text.slice(0, 300)}`;
    // the whole limit is still free: a hold of exactly 100 fits (and is let go again)
    const hold = await client.call('POST', `/v1/workspaces/${stack.workspaceId}/budget-reservations`, { token: stack.ownerToken, body: { estimatedCostUsd: '100' } });
    if (hold.status !== 201) return `a hold of the whole limit was refused (something was held): ${hold.status} ${hold.text.slice(0, 300)}`;
    const release = await client.call('DELETE', `/v1/workspaces/${stack.workspaceId}/budget-reservations/${(hold.body as { reservationId: string }).reservationId}`, { token: stack.ownerToken });
    return release.status === 204 ? undefined : `releasing the control hold answered ${release.status}`;
  }

  it('budgets: bad query and path values are a 400 naming them, and change nothing', async () => {
    const before = await eventHead(env.pool);
    const ws = stack.workspaceId;
    const cases: Array<[string, string, string]> = [
      ['GET', '/v1/budget-alerts?period=yesterday', 'query.period'],
      ['GET', '/v1/budget-alerts?period=custom', 'query.from'],
      ['GET', '/v1/budget-alerts?period=custom&from=2026-12-01T00:00:00Z&to=next%20week', 'query.to'],
      ['GET', '/v1/budget-alerts?pageSize=0', 'query.pageSize'],
      ['GET', '/v1/budget-alerts?colour=red', 'query.colour'],
      ['GET', `/v1/workspaces/${ws}/budgets?page=-1`, 'query.page'],
      ['GET', `/v1/workspaces/${ws}/budgets/${'x'.repeat(300)}`, 'path.id'],
      ['PATCH', `/v1/workspaces/${ws}/budgets/${'x'.repeat(300)}`, 'path.id'],
      ['DELETE', `/v1/workspaces/${ws}/budgets/${'x'.repeat(300)}`, 'path.id'],
      ['DELETE', `/v1/workspaces/${ws}/budget-reservations/${'x'.repeat(300)}`, 'path.id'],
      ['DELETE', `/v1/workspaces/${ws}/budget-reservations/has%20a%20space`, 'path.id'],
    ];
    const failures: string[] = [];
    for (const [method, path, field] of cases) {
      const answer = await client.call(method, path, { token: stack.ownerToken, ...(method === 'PATCH' ? { body: { limitUsd: '1' } } : {}) });
      const problem = answer.body as { errors?: Array<{ field: string }> } | undefined;
      if (answer.status !== 400 || !problem?.errors?.some((error) => error.field === field)) failures.push(`${method} ${path.slice(0, 80)}: expected a 400 naming ${field}, got ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    expect(await eventHead(env.pool)).toBe(before);
    expect(await budgetUnchanged()).toBeUndefined();
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
