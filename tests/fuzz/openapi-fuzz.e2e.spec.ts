/**
 * Hostile input on every operation of the served GET /openapi.json, against a
 * running stack, as the bootstrap owner (so requests get past authentication
 * to validation). For every path parameter, query parameter, header and body
 * field (nested objects and the first item of arrays included) it sends values
 * of each class: NUL, a lone surrogate, zero-width and right-to-left
 * characters, over-long strings, 1e309, -0, huge and negative numbers, years
 * 0000 and 9999, empty and repeated query parameters, path traversal, values
 * nested 5,000 deep, wrong types and over-long headers.
 *
 * It asserts: no 5xx; every 4xx is a problem document (application/problem+json),
 * a 400 naming the field it was sent; a value no store could hold is refused
 * (4xx) and nothing is written — the event store's head and the list answers
 * of the workspace are the same before and after. Values a route may take
 * (zero-width, right-to-left, -0, empty, repeated) are sent last and only held
 * to "no 5xx".
 *
 * Deterministic-random and bounded in time: a seed (FUZZ_SEED, printed with
 * every failure; random when unset) picks each class's variants (where the NUL
 * goes, which surrogate, which direction mark) and the order of the cases,
 * which run until FUZZ_BUDGET_MS (default 150 s) is spent, every operation's
 * cases interleaved so each operation is reached early.
 */
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { Fixtures, GatewayClient, type Json, type JsonSchema, NAMED_PATH_VALUES, eventHead, sampleOf, startJobFixture } from '../gateway/support/gateway-client';
import { createRuntimeFixture } from '../runtime/support/runtime-fixtures';
import { createChannelFixture, testMessageFixture } from '../notifications/support/notification-fixtures';

jest.setTimeout(600_000);

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 150_000);
const CONCURRENCY = 3;
const DEPTH = 5_000;

/** mulberry32: a small deterministic PRNG, so a seed replays the same cases. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}

// ---------------------------------------------------------------- the document

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly schema: JsonSchema;
}

interface FuzzOperation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly parameters: readonly Parameter[];
  /** The JSON body schema (application/json), if the operation takes a body. */
  readonly body: JsonSchema | undefined;
}

interface OpenApi {
  readonly paths: Record<string, Record<string, { operationId: string; parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
}

function operationsOf(document: OpenApi): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      operations.push({
        operationId: raw.operationId,
        method: method.toUpperCase(),
        path,
        parameters: raw.parameters ?? [],
        body: raw.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/** A concrete schema: the non-null branch of a nullable or a union. */
function concrete(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.type)) return { ...schema, type: (schema.type as string[]).find((type) => type !== 'null') };
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  return union?.find((option) => option.type !== 'null') ?? schema;
}

/** A field of a body: its path and schema; nested objects and the first item of arrays, up to three levels. */
interface BodyField {
  readonly path: ReadonlyArray<string | number>;
  readonly schema: JsonSchema;
}

function bodyFields(schema: JsonSchema, path: ReadonlyArray<string | number> = [], level = 0): BodyField[] {
  const target = concrete(schema);
  const fields: BodyField[] = [];
  if (target.type === 'object' && target.properties && level < 3) {
    for (const [name, property] of Object.entries(target.properties as Record<string, JsonSchema>)) {
      fields.push({ path: [...path, name], schema: property });
      fields.push(...bodyFields(property, [...path, name], level + 1));
    }
  } else if (target.type === 'array' && target.items && level < 3) {
    fields.push(...bodyFields(target.items as JsonSchema, [...path, 0], level + 1));
  }
  return fields;
}

/** The base value of a schema with ids that fit the client-id pattern (sampleOf's strings have a space). */
function baseOf(schema: JsonSchema, operationId: string): Json {
  const fix = (value: Json, key?: string): Json => {
    if (typeof value === 'string' && key !== undefined && /id$/i.test(key) && /\s/.test(value)) return `fuzz-${randomBytes(4).toString('hex')}`;
    if (Array.isArray(value)) return value.map((item) => fix(item));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, fix(item, name)]));
    return value;
  };
  return fix(sampleOf(schema, operationId));
}

/** `base` with `value` at `path` (containers made as needed, the sample's first array item reused). */
function withValue(base: Json, path: ReadonlyArray<string | number>, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(base ?? {})) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  path.forEach((segment, index) => {
    if (index === path.length - 1) {
      at[segment] = value;
      return;
    }
    const next = path[index + 1];
    if (at[segment] === undefined || at[segment] === null || typeof at[segment] !== 'object') at[segment] = typeof next === 'number' ? [{}] : {};
    at = at[segment] as Record<string | number, unknown>;
  });
  return copy;
}

// ---------------------------------------------------------------- values

/** JSON text JSON.stringify cannot write (1e309, -0) or would recurse too deep to write (5,000 levels): sent as is. */
class RawJson {
  constructor(readonly text: string) {}
}

function raw(text: string): RawJson {
  return new RawJson(text);
}

function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson) {
      raws.push(item.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return item;
  });
  return text.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_, index: string) => raws[Number(index)] as string);
}

/** A value nested `depth` deep (objects and arrays in turn), as JSON text built without recursion. */
function nested(depth: number): RawJson {
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level++) {
    open += level % 2 === 0 ? '{"a":' : '[';
    close = (level % 2 === 0 ? '}' : ']') + close;
  }
  return raw(`${open}"leaf"${close}`);
}

/** One hostile value. `refuse`: no route may take it (a 4xx, nothing written); otherwise only "no 5xx". */
interface Hostile {
  readonly label: string;
  readonly value: unknown;
  readonly refuse: boolean;
}

/** The seed's choices of each class's variants (where the NUL goes, which surrogate, which direction mark). */
const pick = prng(SEED ^ 0x5eed);
function oneOf<T>(items: readonly T[]): T {
  return items[Math.floor(pick() * items.length)] as T;
}
/** `inner` at a random place of a short word. */
function inside(inner: string): string {
  const word = oneOf(['agent', 'x', 'name with spaces', 'gpt-4o', '']);
  const at = Math.floor(pick() * (word.length + 1));
  return `${word.slice(0, at)}${inner}${word.slice(at)}`;
}

const nul = (): Hostile => ({ label: 'NUL', value: inside('\u0000'), refuse: true });
const surrogate = (): Hostile => ({ label: 'lone surrogate', value: inside(oneOf(['\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800'])), refuse: true });
const zeroWidth = (): Hostile => ({ label: 'zero-width', value: inside(oneOf(['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'])), refuse: false });
const rtl = (): Hostile => ({ label: 'right-to-left', value: inside(oneOf(['\u202eevil\u202c', '\u200f', '\u2067x\u2069', '\u05e9\u05dc\u05d5\u05dd', '\u0645\u0631\u062d\u0628\u0627'])), refuse: false });
const YEAR_0000: Hostile = { label: 'year 0000', value: '0000-01-01T00:00:00Z', refuse: true };
const YEAR_9999: Hostile = { label: 'year 9999', value: '9999-12-31T23:59:59Z', refuse: true };

function stringValues(schema: JsonSchema): Hostile[] {
  const target = concrete(schema);
  const values = [nul(), surrogate(), zeroWidth(), rtl()];
  if (typeof target.maxLength === 'number') values.push({ label: `over-long (${target.maxLength + 1})`, value: 'x'.repeat(target.maxLength + 1), refuse: true });
  if (target.format === 'date-time') values.push(YEAR_0000, YEAR_9999);
  return values;
}

function numberValues(schema: JsonSchema): Hostile[] {
  const target = concrete(schema);
  const values: Hostile[] = [
    { label: 'beyond a double', value: raw(oneOf(['1e309', '1e400', '9'.repeat(400)])), refuse: true },
    { label: 'beyond a double, negative', value: raw(oneOf(['-1e309', '-1e400'])), refuse: true },
    { label: '-0', value: raw('-0'), refuse: false },
    { label: '2^53 + 1', value: raw('9007199254740993'), refuse: false },
  ];
  if (typeof target.maximum === 'number') values.push({ label: 'above maximum', value: raw('1e300'), refuse: true });
  if (typeof target.minimum === 'number' && target.minimum >= 0) values.push({ label: 'negative', value: raw('-1'), refuse: true });
  return values;
}

/** A value of another JSON type than the schema says (none when the schema takes anything). */
function wrongTypes(schema: JsonSchema): Hostile[] {
  const target = concrete(schema);
  const nullable = Array.isArray(schema.type) ? (schema.type as string[]).includes('null') : ((schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined)?.some((option) => option.type === 'null');
  const byType: Record<string, unknown[]> = {
    string: [12_345, true, ['x'], { x: 1 }],
    integer: ['12', true, [1], { x: 1 }],
    number: ['12', true, [1], { x: 1 }],
    boolean: ['true', 1, [true]],
    array: ['x', 1, { x: 1 }],
    object: ['x', 1, [1]],
  };
  const values = byType[String(target.type)] ?? [];
  const out: Hostile[] = values.map((value) => ({ label: `wrong type ${JSON.stringify(value)}`, value, refuse: true }));
  if (target.type !== undefined && !nullable) out.push({ label: 'null', value: null, refuse: true });
  return out;
}

function fieldValues(schema: JsonSchema): Hostile[] {
  const target = concrete(schema);
  const values: Hostile[] = [];
  if (target.type === 'string' && !Array.isArray(target.enum)) values.push(...stringValues(schema));
  if (target.type === 'string' && Array.isArray(target.enum)) values.push(nul(), { label: 'not one of the values', value: 'not-a-value', refuse: true });
  if (target.type === 'integer' || target.type === 'number') values.push(...numberValues(schema));
  values.push(...wrongTypes(schema));
  // any JSON (a tool's parameters), an object or an array: too deep for any store
  if (target.type === undefined || target.type === 'object' || target.type === 'array') {
    values.push({ label: `nested ${DEPTH} deep`, value: nested(DEPTH), refuse: true });
    if (target.type === undefined) values.push({ label: 'NUL inside', value: { a: ['ok', 'b\u0000'] }, refuse: true });
  }
  return values;
}

/** Path parameter values: text that cannot be an id of anything, percent-encoded by hand where the client would refuse. */
const PATH_VALUES: ReadonlyArray<{ label: string; raw: string; refuse: boolean }> = [
  { label: 'NUL', raw: 'a%00b', refuse: true },
  { label: 'lone surrogate (CESU-8 bytes)', raw: 'x%ED%A0%80y', refuse: true },
  { label: 'invalid percent-encoding', raw: 'x%E0%A4%A', refuse: true },
  { label: 'zero-width', raw: encodeURIComponent('a\u200bb'), refuse: true },
  { label: 'right-to-left', raw: encodeURIComponent('\u202eevil'), refuse: true },
  { label: '..', raw: '..', refuse: true },
  { label: '%2e%2e', raw: '%2e%2e', refuse: true },
  { label: 'encoded traversal', raw: '..%2F..%2Fetc%2Fpasswd', refuse: true },
  { label: 'over-long', raw: 'x'.repeat(2_000), refuse: true },
];

/** Query values as they go on the wire (already encoded). */
function queryValues(schema: JsonSchema): Array<{ label: string; raw: string[]; refuse: boolean }> {
  const target = concrete(schema);
  const values: Array<{ label: string; raw: string[]; refuse: boolean }> = [
    { label: 'NUL', raw: ['a%00b'], refuse: true },
    { label: 'NUL alone', raw: ['%00'], refuse: true },
    { label: 'lone surrogate (CESU-8 bytes)', raw: ['x%ED%A0%80y'], refuse: false },
    { label: 'zero-width', raw: [encodeURIComponent('a\u200bb')], refuse: false },
    { label: 'right-to-left', raw: [encodeURIComponent('\u202eevil')], refuse: false },
    { label: 'empty', raw: [''], refuse: false },
    { label: 'repeated', raw: ['a', 'b'], refuse: false },
    { label: 'over-long', raw: ['x'.repeat(typeof target.maxLength === 'number' ? target.maxLength + 1 : 5_000)], refuse: typeof target.maxLength === 'number' },
    { label: 'path traversal', raw: ['..%2F..%2Fetc'], refuse: false },
  ];
  if (target.type === 'integer' || target.type === 'number') {
    values.push({ label: '1e309', raw: ['1e309'], refuse: true }, { label: '-0', raw: ['-0'], refuse: false }, { label: 'huge', raw: ['1e300'], refuse: typeof target.maximum === 'number' });
    values.push({ label: 'negative', raw: ['-1'], refuse: typeof target.minimum === 'number' && target.minimum >= 0 });
  }
  if (target.format === 'date-time') {
    values.push({ label: 'year 0000', raw: ['0000-01-01T00:00:00Z'], refuse: true }, { label: 'year 9999', raw: ['9999-12-31T23:59:59Z'], refuse: true });
  }
  if (target.type === 'string' && target.pattern === undefined && target.format === undefined && !Array.isArray(target.enum)) {
    values.push({ label: 'year 9999 (as text)', raw: ['9999-12'], refuse: false }, { label: 'month 0000-01', raw: ['0000-01'], refuse: false });
  }
  return values;
}

// ---------------------------------------------------------------- requests

interface FuzzCase {
  readonly operation: FuzzOperation;
  /** What was sent where, for the failure message. */
  readonly label: string;
  /** The field a 400 must name (a prefix of it is enough), e.g. `body.steps.0.parameters`. */
  readonly field: string;
  readonly refuse: boolean;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

function send(url: URL, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: 60_000 },
      (response) => {
        const contentType = String(response.headers['content-type'] ?? '');
        // a live stream (SSE) stays open by design, its heartbeats keeping the socket busy: its opening is the answer
        if (contentType.startsWith('text/event-stream')) {
          resolve({ status: response.statusCode ?? 0, contentType, text: '' });
          response.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer in 60 s: ${method} ${path}`)));
    request.on('error', reject);
    request.end(body);
  });
}

function fillPath(operation: FuzzOperation, values: Record<string, string>, raw: Record<string, string> = {}): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (raw[name] !== undefined) return raw[name] as string;
    const value = values[name] ?? NAMED_PATH_VALUES[name];
    if (value === undefined) throw new Error(`${operation.operationId}: no value for path parameter {${name}}`);
    return encodeURIComponent(value);
  });
}

function casesOf(operation: FuzzOperation, values: Record<string, string>, token: string): FuzzCase[] {
  const cases: FuzzCase[] = [];
  // the tenant named where the route takes it (a header, ?workspaceId=): a person of several organizations must name it
  const tenantHeaders = Object.fromEntries(operation.parameters.filter((parameter) => parameter.in === 'header' && /workspace/i.test(parameter.name)).map((parameter) => [parameter.name.toLowerCase(), values.wsId as string]));
  const tenantQuery = operation.parameters.some((parameter) => parameter.in === 'query' && parameter.name === 'workspaceId') ? `workspaceId=${values.wsId as string}` : '';
  const headers = { authorization: `Bearer ${token}`, ...tenantHeaders, ...(operation.body ? { 'content-type': 'application/json' } : {}) };
  const base = operation.body ? baseOf(operation.body, operation.operationId) : undefined;
  const baseBody = base === undefined ? undefined : serialize(base);
  const make = (label: string, field: string, refuse: boolean, change: Partial<Pick<FuzzCase, 'path' | 'query' | 'headers' | 'body'>>): void => {
    cases.push({ operation, label, field, refuse, path: fillPath(operation, values), query: tenantQuery, headers, body: baseBody, ...change });
  };

  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') {
      for (const value of PATH_VALUES) {
        make(`path {${parameter.name}} = ${value.label}`, `path.${parameter.name}`, value.refuse, { path: fillPath(operation, values, { [parameter.name]: value.raw }) });
      }
    } else if (parameter.in === 'query') {
      for (const value of queryValues(parameter.schema)) {
        const fuzzed = value.raw.map((raw) => `${encodeURIComponent(parameter.name)}=${raw}`).join('&');
        make(`query ${parameter.name} = ${value.label}`, `query.${parameter.name}`, value.refuse, { query: tenantQuery && parameter.name !== 'workspaceId' ? `${tenantQuery}&${fuzzed}` : fuzzed });
      }
    } else if (parameter.in === 'header' && operation.method !== 'DELETE') {
      // a header over its documented length is refused, naming a header (headers may go together: CloudEvents' ce-*);
      // one without a documented length is only held to "no 5xx"
      const maxLength = concrete(parameter.schema).maxLength;
      const long = typeof maxLength === 'number' ? maxLength + 1 : 8_000;
      make(`header ${parameter.name} over-long (${long})`, 'header', typeof maxLength === 'number', { headers: { ...headers, [parameter.name]: 'k'.repeat(long) } });
      make(`header ${parameter.name} with an escaped NUL`, 'header', false, { headers: { ...headers, [parameter.name]: '%00' } });
    }
  }
  // headers every route reads: an over-long one never 5xx (Node answers 431 past its header limit)
  if (operation.method !== 'DELETE') {
    make('header X-Steward-Workspace over-long', 'header.X-Steward-Workspace', false, { headers: { ...headers, 'x-steward-workspace': 'w'.repeat(8_000) } });
    make('header Authorization over-long', 'header.Authorization', false, { headers: { ...headers, authorization: `Bearer ${'t'.repeat(8_000)}` } });
  }
  // an unknown query parameter with a NUL
  make('unknown query parameter with NUL', 'query.fuzz', true, { query: tenantQuery ? `${tenantQuery}&fuzz=%00` : 'fuzz=%00' });

  if (operation.body) {
    for (const field of bodyFields(operation.body)) {
      const name = ['body', ...field.path].join('.');
      for (const value of fieldValues(field.schema)) make(`body ${name} = ${value.label}`, name, value.refuse, { body: serialize(withValue(base as Json, field.path, value.value)) });
    }
    make(`body nested ${DEPTH} deep`, 'body', true, { body: serialize(nested(DEPTH)) });
    make('body with a NUL in a field name', 'body', true, { body: serialize({ ...(base as Record<string, Json>), 'bad\u0000name': 1 }) });
    make('body as a bare string', 'body', true, { body: '"just a string"' });
  }
  return cases;
}

interface Problem {
  readonly status?: number;
  readonly errors?: Array<{ field: string; message: string }>;
}

/** What is wrong with an answer to a case, or undefined. */
function verdict(fuzzCase: FuzzCase, answer: RawAnswer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  // Node itself answers 431 for headers past its limit: no problem document is possible there
  if (answer.status === 431) return undefined;
  if (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json')) return `a ${answer.status} that is not a problem document (${answer.contentType})`;
  if (fuzzCase.refuse && answer.status < 400) return `took it: ${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status === 400) {
    let problem: Problem;
    try {
      problem = JSON.parse(answer.text) as Problem;
    } catch {
      return 'a 400 whose body is not JSON';
    }
    const fields = (problem.errors ?? []).map((error) => error.field);
    if (fields.length === 0) return `a 400 naming no field: ${answer.text.slice(0, 300)}`;
    const named = fields.some((field) => field === fuzzCase.field || field.startsWith(`${fuzzCase.field}.`) || fuzzCase.field.startsWith(`${field}.`));
    if (fuzzCase.refuse && !named) return `a 400 that does not name ${fuzzCase.field}: ${fields.join(', ')}`;
  }
  return undefined;
}

/** Runs cases, `CONCURRENCY` at a time, until they are done or `deadline` passes; the failures, and how many ran. */
async function run(url: URL, cases: readonly FuzzCase[], deadline: number): Promise<{ failures: string[]; ran: number; reached: Set<string> }> {
  const failures: string[] = [];
  const reached = new Set<string>();
  let next = 0;
  let ran = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length && Date.now() < deadline) {
      const fuzzCase = cases[next++] as FuzzCase;
      const target = `${fuzzCase.path}${fuzzCase.query ? `?${fuzzCase.query}` : ''}`;
      let problem: string | undefined;
      try {
        problem = verdict(fuzzCase, await send(url, fuzzCase.operation.method, target, fuzzCase.headers, fuzzCase.body));
      } catch (error) {
        problem = `no answer: ${error instanceof Error ? error.message : String(error)}`;
      }
      ran++;
      reached.add(fuzzCase.operation.operationId);
      if (problem) failures.push(`${fuzzCase.operation.operationId} ${fuzzCase.operation.method} ${target.slice(0, 200)} — ${fuzzCase.label}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { failures, ran, reached };
}

/** Every operation's cases shuffled, then interleaved one operation at a time, so a budget cut still reaches every operation. */
function interleaved(groups: FuzzCase[][], random: () => number): FuzzCase[] {
  const shuffled = shuffle(groups.map((group) => shuffle([...group], random)), random);
  const out: FuzzCase[] = [];
  for (let index = 0; shuffled.some((group) => index < group.length); index++) {
    for (const group of shuffled) if (index < group.length) out.push(group[index] as FuzzCase);
  }
  return out;
}

describe(`OpenAPI-driven fuzzing of every operation (FUZZ_SEED=${SEED})`, () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let operations: FuzzOperation[];
  let values: Record<string, string>;

  beforeAll(async () => {
    console.log(`openapi fuzz: FUZZ_SEED=${SEED} FUZZ_BUDGET_MS=${BUDGET_MS}`);
    env = await createTestEnv();
    // thousands of requests as one person: the rate limit would answer 429 instead of validating
    stack = await startStack(env, { env: { GATEWAY_RATE_LIMIT_USER: '10000000', NOTIFICATIONS_RETRY_SCHEDULE: '200' } });
    client = new GatewayClient(stack.url);
    const fixtures = new Fixtures(client);
    operations = operationsOf(await client.expect<OpenApi>(200, 'GET', '/openapi.json'));
    const invitation = await fixtures.invite(stack.ownerToken, stack.workspaceId, 'viewer');
    const member = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', 'fuzz-target');
    const key = await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['read'], 'fuzz key');
    const jobId = await startJobFixture(client, stack.ownerToken, stack.workspaceId, `fuzz-job-${randomBytes(3).toString('hex')}`);
    const runtimeId = await createRuntimeFixture(client, stack.ownerToken, stack.workspaceId, 'fuzz runtime');
    values = { orgId: stack.organizationId, wsId: stack.workspaceId, userId: member.userId, keyId: key.id, jobId };
    // {id} names an invitation or a runtime, by the collection before it
    values.id = invitation.id;
    values.runtimeId = runtimeId;
    // {messageId}: a test message of an email channel (its delivery log entry), dead-lettered before the fuzzing
    // starts (no SMTP here): its delivery appends nothing while "nothing written" is checked
    const messageId = await testMessageFixture(client, stack.ownerToken, stack.organizationId, await createChannelFixture(client, stack.ownerToken, stack.organizationId, 'fuzz channel'));
    await waitFor('the fuzz channel’s test message dead-lettered', async () => {
      const delivery = await client.call('GET', `/v1/organizations/${stack.organizationId}/notification-deliveries/${messageId}`, { token: stack.ownerToken });
      return (delivery.body as { status?: string } | undefined)?.status === 'dead' ? true : undefined;
    });
    values.messageId = messageId;
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
  });

  /** What the workspace's lists answer: they must not change while only refused requests are sent. */
  async function lists(): Promise<string> {
    const paths = ['members', 'invitations', 'api-keys', 'jobs', 'runtimes'].map((name) => `/v1/workspaces/${stack.workspaceId}/${name}`);
    const answers = await Promise.all(paths.map((path) => client.call('GET', path, { token: stack.ownerToken })));
    return JSON.stringify(answers.map((answer) => [answer.status, answer.body]));
  }

  function casesFor(refuse: boolean): FuzzCase[] {
    const groups = operations.map((operation) => {
      const own = operation.path.includes('/runtimes/{id}') ? { ...values, id: values.runtimeId as string } : values;
      return casesOf(operation, own, stack.ownerToken).filter((fuzzCase) => fuzzCase.refuse === refuse);
    });
    return interleaved(groups, prng(SEED + (refuse ? 0 : 1)));
  }

  it('the document has operations, and every one gets cases', () => {
    expect(operations.length).toBeGreaterThan(30);
    const without = operations.filter((operation) => casesOf(operation, { ...values, id: 'x' }, 'token').length === 0);
    expect(without.map((operation) => operation.operationId)).toEqual([]);
  });

  it('values no store could hold: a 4xx problem naming the field, no 5xx, nothing written', async () => {
    const cases = casesFor(true);
    const headBefore = await eventHead(env.pool);
    const listsBefore = await lists();
    const { failures, ran, reached } = await run(new URL(stack.url), cases, Date.now() + BUDGET_MS * 0.7);
    const headAfter = await eventHead(env.pool);
    if (headAfter !== headBefore) {
      const { rows } = await env.pool.query('SELECT event_type, stream_id FROM steward_events.events WHERE global_position > $1 ORDER BY global_position LIMIT 20', [headBefore]);
      failures.push(`refused requests appended ${headAfter - headBefore} event(s): ${JSON.stringify(rows)}`);
    }
    expect(await lists()).toBe(listsBefore);
    console.log(`openapi fuzz (refused values): ${ran} of ${cases.length} cases in the budget, seed ${SEED}`);
    expect({ seed: SEED, failures }).toEqual({ seed: SEED, failures: [] });
    // the cases are interleaved by operation: however small the budget, the first ones reach as many operations as they can
    expect(reached.size).toBe(Math.min(ran, new Set(cases.map((fuzzCase) => fuzzCase.operation.operationId)).size));
  });

  it('values a route may take (zero-width, right-to-left, -0, empty, repeated): never a 5xx, a 4xx is a problem document', async () => {
    const cases = casesFor(false);
    const { failures, ran, reached } = await run(new URL(stack.url), cases, Date.now() + BUDGET_MS * 0.3);
    console.log(`openapi fuzz (other values): ${ran} of ${cases.length} cases in the budget, seed ${SEED}`);
    expect({ seed: SEED, failures }).toEqual({ seed: SEED, failures: [] });
    expect(reached.size).toBe(Math.min(ran, new Set(cases.map((fuzzCase) => fuzzCase.operation.operationId)).size));
  });

  it('whatever was taken, the read models still move: a new job, invitation and usage after the fuzzing are read back', async () => {
    const fixtures = new Fixtures(client);
    await startJobFixture(client, stack.ownerToken, stack.workspaceId, `after-fuzz-${SEED}`);
    await fixtures.invite(stack.ownerToken, stack.workspaceId, 'viewer');
    // an API key names its workspace: the organizations the fuzzing may have created for the owner do not matter to it
    const key = await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['read', 'usage:write'], 'after fuzz');
    const time = new Date().toISOString();
    await client.expect(202, 'POST', `/v1/workspaces/${stack.workspaceId}/usage`, {
      token: key.token,
      body: { events: [{ id: `after-fuzz-${SEED}`, source: 'fuzz-check', time, provider: 'openai', model: 'gpt-4o', agent: `after-fuzz-${SEED}`, inputTokens: 7, outputTokens: 3 }] },
    });
    let last = '';
    await waitFor('the usage recorded after the fuzzing in the summary', async () => {
      const summary = await client.call('GET', `/v1/usage/summary?workspaceId=${stack.workspaceId}&agent=after-fuzz-${SEED}`, { token: key.token });
      last = `${summary.status} ${summary.text.slice(0, 300)}`;
      return summary.status === 200 && (summary.body as { calls?: number }).calls === 1 ? true : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (seed ${SEED}); the summary answered ${last}`);
    });
  });

  describe('the answers issue 11 found wrong', () => {
    const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
      send(new URL(stack.url), method, path, { authorization: `Bearer ${stack.ownerToken}`, ...headers }, body);
    const fieldsOf = (answer: RawAnswer): string[] => ((JSON.parse(answer.text) as Problem).errors ?? []).map((error) => error.field);

    it('NUL in a query parameter of members, activity (and its CSV export), models, jobs and usage: a 400 naming it', async () => {
      const ws = stack.workspaceId;
      const org = stack.organizationId;
      const cases: Array<[string, string]> = [
        [`/v1/workspaces/${ws}/members?search=%00`, 'query.search'],
        [`/v1/organizations/${org}/activity?q=%00`, 'query.q'],
        [`/v1/organizations/${org}/activity?actor=%00`, 'query.actor'],
        [`/v1/organizations/${org}/activity/export?q=%00`, 'query.q'],
        [`/v1/workspaces/${ws}/models?q=%00`, 'query.q'],
        [`/v1/workspaces/${ws}/jobs?agent=%00`, 'query.agent'],
        [`/v1/usage/summary?agent=%00`, 'query.agent'],
      ];
      for (const [path, field] of cases) {
        const answer = await call('GET', path);
        expect({ path, status: answer.status, type: answer.contentType.split(';')[0], fields: fieldsOf(answer) }).toEqual({ path, status: 400, type: 'application/problem+json', fields: [field] });
      }
    });

    it('the usage statement of month 0000-01 is a 400 naming month; a range ending in year 9999 answers on every usage read', async () => {
      const statement = await call('GET', `/v1/usage/statement?workspaceId=${stack.workspaceId}&month=0000-01`);
      expect({ status: statement.status, fields: fieldsOf(statement) }).toEqual({ status: 400, fields: ['query.month'] });
      // the workspace named: by now the owner may belong to organizations the fuzzing created
      const ws = `workspaceId=${stack.workspaceId}`;
      const year = `${ws}&period=custom&from=9999-01-01T00:00:00Z&to=9999-12-30T23:59:59.999Z&tz=Pacific/Kiritimati`;
      const days = `${ws}&period=custom&from=9999-12-28T00:00:00Z&to=9999-12-30T23:59:59.999Z&tz=Pacific/Kiritimati`;
      for (const path of ['summary', 'timeline', 'by-model', 'models', 'events']) {
        for (const extra of path === 'timeline' ? ['&interval=hour', '&interval=day', '&interval=week', '&interval=month'] : ['']) {
          const range = extra === '&interval=hour' ? days : year;
          const answer = await call('GET', `/v1/usage/${path}?${range}${extra}`);
          expect({ path, extra, status: answer.status === 400 ? `400 ${fieldsOf(answer).join(',')}` : answer.status }).toEqual({ path, extra, status: 200 });
        }
      }
      const beyond = await call('GET', `/v1/usage/summary?${ws}&period=custom&from=9999-06-01T00:00:00Z&to=9999-12-31T23:59:59Z`);
      expect({ status: beyond.status, fields: fieldsOf(beyond) }).toEqual({ status: 400, fields: ['query.to'] });
      const lastMonth = await call('GET', `/v1/usage/statement?${ws}&month=9999-11`);
      expect(lastMonth.status).toBe(200);
    });

    it('the widest storable ranges answer on the jobs list and the activity log and its CSV export', async () => {
      const wide = 'from=1970-01-01T00:00:00Z&to=9999-12-30T23:59:59.999Z';
      for (const path of [`/v1/workspaces/${stack.workspaceId}/jobs?${wide}`, `/v1/organizations/${stack.organizationId}/activity?${wide}`, `/v1/organizations/${stack.organizationId}/activity/export?${wide}`]) {
        const answer = await call('GET', path);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      }
    });

    it('OTLP spans with control characters in names and instants out of range: each span refused (partial success), nothing written', async () => {
      const attribute = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } });
      const span = (spanId: string, parent: string | undefined, name: string, start: string, end: string, attributes: ReturnType<typeof attribute>[]) => ({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId,
        ...(parent ? { parentSpanId: parent } : {}),
        name,
        kind: 3,
        startTimeUnixNano: start,
        endTimeUnixNano: end,
        attributes,
      });
      const now = BigInt(Date.now()) * 1_000_000n;
      const cases: Array<{ label: string; spans: unknown[]; service: string }> = [
        {
          label: 'control characters and right-to-left text in names',
          service: 'svc\nname\u0007',
          spans: [
            span('b7ad6b7169203331', undefined, 'invoke_agent x', String(now - 5_000_000_000n), String(now), [attribute('gen_ai.operation.name', 'invoke_agent'), attribute('gen_ai.agent.name', 'agent\u0007\u202eevil')]),
            span('b7ad6b7169203332', 'b7ad6b7169203331', 'chat m', String(now - 4_000_000_000n), String(now - 3_000_000_000n), [
              attribute('gen_ai.operation.name', 'chat'),
              attribute('gen_ai.provider.name', 'open\u200bai'),
              attribute('gen_ai.request.model', 'gpt\t4o'),
              attribute('gen_ai.usage.input_tokens', 10),
            ]),
          ],
        },
        {
          label: 'instants before 1970 and far in the future',
          service: 'svc',
          spans: [
            span('c7ad6b7169203331', undefined, 'invoke_agent y', '-99999999999999999999', '99999999999999999999', [attribute('gen_ai.operation.name', 'invoke_agent'), attribute('gen_ai.agent.name', 'agent-y')]),
            span('c7ad6b7169203332', 'c7ad6b7169203331', 'chat m', '0', '1', [attribute('gen_ai.operation.name', 'chat'), attribute('gen_ai.provider.name', 'openai'), attribute('gen_ai.request.model', 'gpt-4o'), attribute('gen_ai.usage.input_tokens', 10)]),
          ],
        },
      ];
      // an API key names its workspace (the owner may by now belong to organizations the fuzzing created)
      const key = await new Fixtures(client).issueApiKey(stack.ownerToken, stack.workspaceId, ['read', 'usage:write', 'jobs:write'], 'otlp check');
      const before = await eventHead(env.pool);
      for (const { label, spans, service } of cases) {
        const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [attribute('service.name', service)] }, scopeSpans: [{ spans }] }] });
        const answer = await call('POST', '/v1/traces', { 'content-type': 'application/json', authorization: `Bearer ${key.token}` }, body);
        // OTLP answers partial success: every span here is refused, with the reason
        const rejected = answer.status === 200 ? (JSON.parse(answer.text) as { partialSuccess?: { rejectedSpans?: number } }).partialSuccess?.rejectedSpans : undefined;
        expect({ label, status: answer.status, rejected }).toEqual({ label, status: 200, rejected: 2 });
      }
      expect(await eventHead(env.pool)).toBe(before);
    });

    it('job step parameters nested 5,000 deep: a 400 naming body.steps.0.parameters, nothing written', async () => {
      const before = await eventHead(env.pool);
      const body = serialize({ steps: [{ stepId: 'deep', type: 'tool_call', toolName: 'deep', parameters: nested(DEPTH) }] });
      const answer = await call('POST', `/v1/workspaces/${stack.workspaceId}/jobs/${values.jobId}/steps`, { 'content-type': 'application/json' }, body);
      expect(answer.status).toBe(400);
      expect(fieldsOf(answer)[0]).toMatch(/^body\.steps\.0\.parameters/);
      expect(await eventHead(env.pool)).toBe(before);
    });

    it('job id ".." (or any id off the pattern) is refused on create, steps and finish', async () => {
      const ws = stack.workspaceId;
      const json = { 'content-type': 'application/json' };
      const create = await call('POST', `/v1/workspaces/${ws}/jobs`, json, JSON.stringify({ jobId: '..', agent: 'a' }));
      expect({ status: create.status, fields: fieldsOf(create) }).toEqual({ status: 400, fields: ['body.jobId'] });
      for (const id of ['..', '.', '%2e%2e', 'a%2Fb', '.hidden']) {
        const steps = await call('POST', `/v1/workspaces/${ws}/jobs/${id}/steps`, json, JSON.stringify({ steps: [{ type: 'system', content: 'x' }] }));
        const finish = await call('POST', `/v1/workspaces/${ws}/jobs/${id}/finish`, json, JSON.stringify({ status: 'success' }));
        expect({ id, steps: steps.status, stepsFields: fieldsOf(steps), finish: finish.status, finishFields: fieldsOf(finish) }).toEqual({
          id,
          steps: 400,
          stepsFields: ['path.jobId'],
          finish: 400,
          finishFields: ['path.jobId'],
        });
      }
    });

    it('a usage batch with one NUL agent and one lone surrogate: those members refused by index, the valid one accepted', async () => {
      const time = new Date().toISOString();
      const event = (id: string, agent: string) => ({ id, source: 'fuzz', time, provider: 'openai', model: 'gpt-4o', agent, inputTokens: 10, outputTokens: 5 });
      const body = JSON.stringify({ events: [event(`ok-${SEED}`, 'good-agent'), event(`nul-${SEED}`, 'bad\u0000agent'), event(`sur-${SEED}`, 'bad\ud800agent')] });
      const answer = await call('POST', `/v1/workspaces/${stack.workspaceId}/usage`, { 'content-type': 'application/json' }, body);
      expect(answer.status).toBe(202);
      const accepted = JSON.parse(answer.text) as { accepted: number; rejected: number; errors: Array<{ index: number; field: string }> };
      expect({ accepted: accepted.accepted, rejected: accepted.rejected, errors: accepted.errors.map(({ index, field }) => ({ index, field })) }).toEqual({
        accepted: 1,
        rejected: 2,
        errors: [
          { index: 1, field: 'body.events.1.agent' },
          { index: 2, field: 'body.events.2.agent' },
        ],
      });
    });

    it('CloudEvents with NUL in id or source: a 400 naming the field', async () => {
      const cloudEvent = (id: string, source: string) => ({ specversion: '1.0', type: 'llm.usage', id, source, subject: stack.workspaceId, data: { provider: 'openai', model: 'gpt-4o', inputTokens: 1 } });
      for (const [value, field] of [[cloudEvent('a\u0000b', 'src'), 'body.id'], [cloudEvent('ce-1', 'src\u0000'), 'body.source']] as const) {
        const answer = await call('POST', '/api/v1/events', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(value));
        expect({ status: answer.status, fields: fieldsOf(answer) }).toEqual({ status: 400, fields: [field] });
      }
    });

    it('a body in a charset other than UTF-8 is a 415 naming Content-Type; prices beyond 1,000 USD per token a 400', async () => {
      const invite = await call('POST', `/v1/workspaces/${stack.workspaceId}/invitations`, { 'content-type': 'application/json; charset=utf-16' }, JSON.stringify({ email: 'x@example.test', role: 'viewer' }));
      expect({ status: invite.status, fields: fieldsOf(invite) }).toEqual({ status: 415, fields: ['header.content-type'] });
      const utf8 = await call('POST', `/v1/workspaces/${stack.workspaceId}/invitations`, { 'content-type': 'application/json; charset="UTF-8"' }, JSON.stringify({ email: `utf8-${SEED}@example.test`, role: 'viewer' }));
      expect(utf8.status).toBe(201);
      const price = await call('PUT', `/v1/workspaces/${stack.workspaceId}/models/openai/gpt-4o`, { 'content-type': 'application/json' }, JSON.stringify({ unitPrices: { input: `1${'0'.repeat(59)}`, output: '0.1' } }));
      expect({ status: price.status, fields: fieldsOf(price) }).toEqual({ status: 400, fields: ['body.unitPrices.input'] });
      const perMillion = await call('PUT', `/v1/workspaces/${stack.workspaceId}/models/openai/gpt-4o`, { 'content-type': 'application/json' }, JSON.stringify({ pricesPerMillionTokens: { input: '1000000001', output: '1' } }));
      expect({ status: perMillion.status, fields: fieldsOf(perMillion) }).toEqual({ status: 400, fields: ['body.pricesPerMillionTokens.input'] });
    });

    it.each([
      ['the usage batch (16 MiB limit)', 'usage'],
      ['an invitation (1 MiB limit)', 'invitations'],
    ])('a chunked 17 MiB body to %s is a 413 problem naming body, not a reset connection', async (_label, collection) => {
      const url = new URL(stack.url);
      const answer = await new Promise<RawAnswer>((resolve, reject) => {
        const request = httpRequest(
          { host: url.hostname, port: url.port, method: 'POST', path: `/v1/workspaces/${stack.workspaceId}/${collection}`, headers: { authorization: `Bearer ${stack.ownerToken}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
          },
        );
        request.on('error', reject);
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        request.write('{"events": [');
        let sent = 0;
        const more = (): void => {
          while (sent < 17) {
            sent++;
            if (!request.write(chunk)) {
              request.once('drain', more);
              return;
            }
          }
          request.end(']}');
        };
        more();
      });
      expect({ status: answer.status, type: answer.contentType.split(';')[0], fields: fieldsOf(answer) }).toEqual({ status: 413, type: 'application/problem+json', fields: ['body'] });
    });
  });
});
