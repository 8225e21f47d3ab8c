import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { connectNats, type NatsClients } from '@steward/messaging';
import { createLogger, initTelemetry, resetTelemetryForTests, type Telemetry } from '@steward/observability';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Kysely, PostgresDialect } from 'kysely';
import { CheckpointRepository, QuarantineRepository, type PoisonedEvent, type ProjectionsDB } from '@steward/projections';
import { DEMO_ERROR_STATUSES, demoAuthenticator, demoAuthorizer, demoRoutes, type DemoState } from '../test/demo.routes';
import { createGatewayApp, type GatewayApp, type GatewayConfig } from './gateway.app';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { errors?: Array<{ field: string; message: string }> };
  text: string;
}

function parseOrEmpty(text: string): Answer['body'] {
  try {
    return text ? (JSON.parse(text) as Answer['body']) : {};
  } catch {
    return {};
  }
}

describe('gateway HTTP core (real Redis, PostgreSQL, NATS, HTTP)', () => {
  let env: TestEnv;
  let redis: Redis;
  let nats: NatsClients;
  let telemetry: Telemetry;
  let gateway: GatewayApp;
  let base: string;
  const spans = new InMemorySpanExporter();
  const logLines: string[] = [];
  const state: DemoState = { creates: 0, gate: undefined };
  const config = (env: TestEnv): GatewayConfig => ({
    redisPrefix: env.redisPrefix,
    bodyLimitBytes: 64 * 1024,
    rateLimits: {
      byKind: { api_key: { limit: 3, windowMs: 60_000 }, user: { limit: 1000, windowMs: 60_000 } },
      default: { limit: 1000, windowMs: 60_000 },
    },
    readinessTimeoutMs: 1000,
    errorStatuses: DEMO_ERROR_STATUSES,
  });

  beforeAll(async () => {
    env = await createTestEnv();
    telemetry = initTelemetry({ serviceName: 'steward-gateway-test', spanProcessors: [new SimpleSpanProcessor(spans)] });
    redis = new Redis(env.redisUrl);
    nats = await connectNats({ servers: env.natsUrl, name: 'gateway-int' });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    gateway = await createGatewayApp({
      routes: demoRoutes(state),
      authenticator: demoAuthenticator,
      authorizer: demoAuthorizer,
      redis,
      pool: env.pool,
      nats: nats.nc,
      config: config(env),
      logger: createLogger({ name: 'gateway-test', destination }),
      telemetry,
    });
    base = await gateway.listen(0);
  });

  afterAll(async () => {
    await gateway?.close();
    await nats?.close();
    if (redis) {
      const keys = await redis.keys(`${env.redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await resetTelemetryForTests();
    await env?.dispose();
  });

  async function call(method: string, path: string, options: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseOrEmpty(text), text };
  }

  function fields(answer: Answer): string[] {
    return (answer.body.errors ?? []).map((error) => error.field).sort();
  }

  function expectProblem(answer: Answer, status: number): void {
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), instance: expect.any(String) });
  }

  const widgets = '/v1/workspaces/ws-1/widgets';

  describe('validation at the edge', () => {
    it('names every field of the wrong type, missing, unknown or too long', async () => {
      const wrongTypes = await call('POST', widgets, { token: 'user-val', body: { name: 5, size: 'big' } });
      expectProblem(wrongTypes, 400);
      expect(fields(wrongTypes)).toEqual(['body.name', 'body.size']);

      const missing = await call('POST', widgets, { token: 'user-val', body: { tags: ['a'] } });
      expectProblem(missing, 400);
      expect(fields(missing)).toEqual(['body.name', 'body.size']);

      const unknown = await call('POST', widgets, { token: 'user-val', body: { name: 'a', size: 1, colour: 'red', owner: 'x' } });
      expectProblem(unknown, 400);
      expect(fields(unknown)).toEqual(['body.colour', 'body.owner']);
      expect(unknown.body.errors?.[0]?.message).toBe('unknown field');

      const oversized = await call('POST', widgets, { token: 'user-val', body: { name: 'x'.repeat(51), size: 1, tags: ['ok', 'far-too-long-tag'] } });
      expectProblem(oversized, 400);
      expect(fields(oversized)).toEqual(['body.name', 'body.tags.1']);

      const query = await call('GET', `${widgets}?page=abc&sort=name`, { token: 'user-val' });
      expectProblem(query, 400);
      expect(fields(query)).toEqual(['query.page', 'query.sort']);

      const noQuery = await call('GET', '/v1/limits?verbose=1', { token: 'user-val' });
      expectProblem(noQuery, 400);
      expect(fields(noQuery)).toEqual(['query.verbose']);

      const param = await call('DELETE', `${widgets}/not-a-widget`, { token: 'user-val' });
      expectProblem(param, 400);
      expect(fields(param)).toEqual(['path.widgetId']);
      expect(state.creates).toBe(0);
    });

    it('answers 400 naming the body for invalid JSON, 413 for an oversized body, 415 for another content type', async () => {
      const invalid = await call('POST', widgets, { token: 'user-val', raw: '{"name": "a",', headers: { 'content-type': 'application/json' } });
      expectProblem(invalid, 400);
      expect(fields(invalid)).toEqual(['body']);

      const empty = await call('POST', widgets, { token: 'user-val', headers: { 'content-type': 'application/json' } });
      expectProblem(empty, 400);
      expect(fields(empty)).toEqual(['body']);

      // a route whose body schema takes {} may be called without a body; a body, when sent, is still checked
      const bare = await call('POST', '/v1/public/ping');
      expect(bare.status).toBe(200);
      expect(bare.body).toEqual({ pinged: true });
      const unknown = await call('POST', '/v1/public/ping', { body: { extra: 1 } });
      expectProblem(unknown, 400);
      expect(fields(unknown)).toEqual(['body.extra']);

      const large = await call('POST', widgets, { token: 'user-val', body: { name: 'a', size: 1, padding: 'x'.repeat(200 * 1024) } });
      expectProblem(large, 413);

      const huge = await call('POST', widgets, { token: 'user-val', raw: Buffer.alloc(2 * 1024 * 1024, 0x20), headers: { 'content-type': 'application/json' } });
      expectProblem(huge, 413);

      const text = await call('POST', widgets, { token: 'user-val', raw: 'name=a', headers: { 'content-type': 'text/plain' } });
      expectProblem(text, 415);
      expect(state.creates).toBe(0);
    });

    it('refuses bytes that are not UTF-8 (400) and a coded body (415) rather than storing what was not sent', async () => {
      const before = state.creates;
      // 0xff 0xfe inside a string would otherwise be read as two U+FFFD and the widget created with them
      const latin = await call('POST', widgets, {
        token: 'user-val',
        raw: Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b","size":1}')]),
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(latin, 400);
      expect(fields(latin)).toEqual(['body']);

      // an encoded surrogate (CESU-8) is not UTF-8 either
      const cesu = await call('POST', widgets, {
        token: 'user-val',
        raw: Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","size":1}')]),
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(cesu, 400);
      expect(fields(cesu)).toEqual(['body']);

      // a plain body announced as brotli would be read as if it were not coded
      const coded = await call('POST', widgets, { token: 'user-val', raw: '{"name":"a","size":1}', headers: { 'content-type': 'application/json', 'content-encoding': 'br' } });
      expectProblem(coded, 415);
      expect(fields(coded)).toEqual(['header.content-encoding']);

      const identity = await call('POST', widgets, { token: 'user-val', raw: '{"name":"\u00e9\u{1f600}","size":1}', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
      expect(identity.status).toBe(201);
      expect((identity.body as { name: string }).name).toBe('\u00e9\u{1f600}');
      expect(state.creates).toBe(before + 1);
    });

    it('never answers a malformed request with a 5xx', async () => {
      const answers = await Promise.all([
        call('GET', '/v1/workspaces/%E0%A4%A/widgets', { token: 'user-val' }),
        call('POST', widgets, { token: 'user-val', raw: '\u0000\u0001', headers: { 'content-type': 'application/json' } }),
        call('POST', widgets, { token: 'user-val', body: [1, 2] }),
        call('POST', widgets, { token: 'user-val', body: null }),
        call('POST', widgets, { token: 'user-val', body: { name: 'a', size: 1 }, headers: { 'idempotency-key': 'x'.repeat(256) } }),
        call('GET', `${widgets}?page=1&page=2`, { token: 'user-val' }),
        call('POST', widgets, { token: 'user-val', raw: '{"name":"a","size":1,"__proto__":{"polluted":true}}', headers: { 'content-type': 'application/json' } }),
      ]);
      for (const answer of answers) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
      }
      expect(fields(answers[4] as Answer)).toEqual(['header.Idempotency-Key']);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer for a retry and refuses the key with another body', async () => {
      const headers = { 'idempotency-key': 'create-1' };
      const before = state.creates;
      const first = await call('POST', widgets, { token: 'user-idem', body: { name: 'first', size: 2 }, headers });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ id: expect.any(String), name: 'first', size: 2, tags: [] });
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      // same body, keys in another order
      const retry = await call('POST', widgets, { token: 'user-idem', raw: '{"size":2,"name":"first"}', headers: { ...headers, 'content-type': 'application/json' } });
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('location')).toBe(first.headers.get('location'));
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(state.creates).toBe(before + 1);

      const reused = await call('POST', widgets, { token: 'user-idem', body: { name: 'second', size: 2 }, headers });
      expectProblem(reused, 422);
      expect(state.creates).toBe(before + 1);

      // keys belong to their principal
      const otherCaller = await call('POST', widgets, { token: 'user-idem2', body: { name: 'first', size: 2 }, headers });
      expect(otherCaller.status).toBe(201);
      expect(otherCaller.headers.get('idempotent-replayed')).toBeNull();
      expect(state.creates).toBe(before + 2);
    });

    it('answers 409 while the first request with the key is still running, and stores error answers too', async () => {
      let open!: () => void;
      state.gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const headers = { 'idempotency-key': 'slow-1' };
      const slow = call('POST', widgets, { token: 'user-slow', body: { name: 'slow', size: 1 }, headers });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const concurrent = await call('POST', widgets, { token: 'user-slow', body: { name: 'slow', size: 1 }, headers });
      expectProblem(concurrent, 409);
      expect(concurrent.headers.get('retry-after')).toBe('1');
      open();
      state.gate = undefined;
      expect((await slow).status).toBe(201);
      const after = await call('POST', widgets, { token: 'user-slow', body: { name: 'slow', size: 1 }, headers });
      expect(after.status).toBe(201);
      expect(after.headers.get('idempotent-replayed')).toBe('true');

      // a domain error is the answer too: replayed the same
      const echoKey = { 'idempotency-key': 'echo-1' };
      const echoed = await call('POST', '/v1/public/echo', { body: { message: 'hello' }, headers: echoKey });
      expect(echoed.status).toBe(200);
      const echoedAgain = await call('POST', '/v1/public/echo', { body: { message: 'hello' }, headers: echoKey });
      expect(echoedAgain.body).toEqual({ message: 'hello' });
      expect(echoedAgain.headers.get('idempotent-replayed')).toBe('true');
    });
  });

  describe('rate limits', () => {
    it('answers 429 with Retry-After once an API key spends its window, with RateLimit headers all along', async () => {
      const remaining: Array<string | null> = [];
      for (let index = 0; index < 3; index++) {
        const answer = await call('GET', '/v1/limits', { token: 'key-limited' });
        expect(answer.status).toBe(200);
        remaining.push(answer.headers.get('ratelimit-remaining'));
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const refused = await call('GET', '/v1/limits', { token: 'key-limited' });
      expectProblem(refused, 429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit-limit')).toBe('3');
      // users have their own, larger budget
      expect((await call('GET', '/v1/limits', { token: 'user-limited' })).status).toBe(200);
    });

    it('counts callers without credentials by address, so guessing tokens runs out too', async () => {
      const guarded = await createGatewayApp({
        routes: demoRoutes(state),
        authenticator: demoAuthenticator,
        authorizer: demoAuthorizer,
        redis,
        pool: env.pool,
        nats: nats.nc,
        config: { ...config(env), redisPrefix: `${env.redisPrefix}anon:`, rateLimits: { byKind: { anonymous: { limit: 2, windowMs: 60_000 } }, default: { limit: 100, windowMs: 60_000 } } },
        logger: createLogger({ name: 'gateway-test', level: 'silent' }),
      });
      try {
        const url = await guarded.listen(0);
        const statuses: number[] = [];
        for (let index = 0; index < 3; index++) {
          statuses.push((await fetch(`${url}/v1/limits`, { headers: { authorization: `Bearer guess-${index}` } })).status);
        }
        expect(statuses).toEqual([401, 401, 429]);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('errors as problem documents', () => {
    it('maps authentication, authorization, tenant walls and domain codes in one place', async () => {
      const anonymous = await call('GET', widgets);
      expectProblem(anonymous, 401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');

      const viewer = await call('POST', widgets, { token: 'user-viewer', body: { name: 'a', size: 1 } });
      expectProblem(viewer, 403);
      expect(viewer.body.title).toBe('Access Restricted');
      expect((await call('GET', widgets, { token: 'user-viewer' })).status).toBe(200);

      const otherTenant = await call('GET', '/v1/workspaces/ws-other/widgets', { token: 'user-any' });
      expectProblem(otherTenant, 404);
      expect(otherTenant.text).not.toContain('items');

      expectProblem(await call('DELETE', `${widgets}/w7`, { token: 'user-any' }), 404);
      expectProblem(await call('DELETE', `${widgets}/w0`, { token: 'user-any' }), 409);
      const locked = await call('DELETE', `${widgets}/w9`, { token: 'user-any' });
      expectProblem(locked, 423);
      expect(locked.body).toMatchObject({ type: 'urn:steward:problem:widget-locked', detail: 'widget w9 is locked' });
      expect((await call('DELETE', `${widgets}/w1`, { token: 'user-any' })).status).toBe(204);

      const mismatch = await call('GET', '/v1/errors/IDEMPOTENCY_MISMATCH');
      expectProblem(mismatch, 422);
      const limited = await call('GET', '/v1/errors/RATE_LIMITED');
      expectProblem(limited, 429);
      expect(limited.headers.get('retry-after')).toBe('1');
    });

    it('answers 404 and 405 problems for unknown routes and methods, and a bare 500 for a failure', async () => {
      const unknown = await call('GET', '/v1/nothing-here', { token: 'user-any' });
      expectProblem(unknown, 404);
      const wrongMethod = await call('PUT', widgets, { token: 'user-any', body: {} });
      expectProblem(wrongMethod, 405);
      expect(wrongMethod.headers.get('allow')).toBe('GET, POST');

      const failure = await call('GET', '/v1/organizations/org-1/boom', { token: 'user-any' });
      expectProblem(failure, 500);
      expect(failure.text).not.toContain('hunter2');
    });

    it('answers the same whether a route is found directly or through express (a path only express matches: letter case)', async () => {
      const direct = await call('GET', `${widgets}?page=3`, { token: 'user-any' });
      const throughExpress = await call('GET', `${widgets.toUpperCase().replace('WS-1', 'ws-1')}?page=3`, { token: 'user-any' });
      for (const answer of [direct, throughExpress]) {
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ items: [], page: 3 });
        expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(answer.headers.get('x-request-id')).toEqual(expect.any(String));
        expect(answer.headers.get('ratelimit-limit')).toBe('1000');
      }
      const badQuery = await call('GET', `${widgets}?page=0&extra=1`, { token: 'user-any' });
      expectProblem(badQuery, 400);
      expect(fields(badQuery)).toEqual(['query.extra', 'query.page']);
    });

    it('lets only declared response fields leave', async () => {
      const created = await call('POST', widgets, { token: 'user-shape', body: { name: 'shape', size: 3 } });
      expect(created.status).toBe(201);
      expect(created.body).not.toHaveProperty('secret');
    });
  });

  describe('operations', () => {
    it('answers readyz 200 "degraded" naming each projection with quarantined events, and "ready" once none is left', async () => {
      // Before the projections service ever migrated this database: nothing quarantined.
      expect((await call('GET', '/readyz')).body).toMatchObject({ status: 'ready', checks: { projections: { status: 'up' } } });
      const db = new Kysely<ProjectionsDB>({ dialect: new PostgresDialect({ pool: env.pool }) });
      await new CheckpointRepository(db).migrate();
      const quarantine = new QuarantineRepository(db);
      const poisoned = (eventId: string): PoisonedEvent => ({
        event: {
          eventId, type: 'JobStarted', version: 1, data: {}, streamId: `jobs-ws-${eventId}`, streamRevision: 0n,
          position: { commit: 5n, prepare: 7n }, recordedAt: new Date(),
          metadata: { correlationId: eventId, actor: { type: 'system', id: 'test' }, occurredAt: new Date().toISOString() },
        },
        error: Object.assign(new Error('date/time field value out of range'), { code: '22008' }),
      });
      await quarantine.add(db, 'jobs', [poisoned(randomUUID()), poisoned(randomUUID())]);
      const degraded = await call('GET', '/readyz');
      expect(degraded.status).toBe(200);
      expect(degraded.body).toMatchObject({
        status: 'degraded',
        checks: { postgres: { status: 'up' }, projections: { status: 'degraded', quarantined: { jobs: 2 } } },
      });
      await db.withSchema('steward_projections').deleteFrom('quarantine').execute();
      expect((await call('GET', '/readyz')).body).toMatchObject({ status: 'ready', checks: { projections: { status: 'up' } } });
    });

    it('answers healthz and readyz with each dependency, and 503 when one is down', async () => {
      expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
      const ready = await call('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' }, redis: { status: 'up' } } });

      // a Redis client whose connection is gone
      const deadRedis = new Redis(env.redisUrl);
      await deadRedis.quit();
      const degraded = await createGatewayApp({
        routes: [],
        authenticator: demoAuthenticator,
        redis: deadRedis,
        pool: env.pool,
        nats: nats.nc,
        config: config(env),
        logger: createLogger({ name: 'gateway-test', level: 'silent' }),
      });
      try {
        const url = await degraded.listen(0);
        const response = await fetch(`${url}/readyz`);
        const report = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
        expect(response.status).toBe(503);
        expect(report.status).toBe('unavailable');
        expect(report.checks).toMatchObject({ redis: { status: 'down' }, postgres: { status: 'up' }, nats: { status: 'up' } });
      } finally {
        await degraded.close();
      }
    });

    it('lets a request in flight finish when it closes, then refuses connections', async () => {
      const local: DemoState = { creates: 0, gate: undefined };
      const closing = await createGatewayApp({
        routes: demoRoutes(local),
        authenticator: demoAuthenticator,
        authorizer: demoAuthorizer,
        redis,
        pool: env.pool,
        nats: nats.nc,
        config: config(env),
        logger: createLogger({ name: 'gateway-test', level: 'silent' }),
      });
      const url = await closing.listen(0);
      let open!: () => void;
      local.gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const inFlight = fetch(`${url}${widgets}`, {
        method: 'POST',
        headers: { authorization: 'Bearer user-closing', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'slow', size: 1 }),
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const closed = closing.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      open();
      const answer = await inFlight;
      expect(answer.status).toBe(201);
      expect(await answer.json()).toMatchObject({ name: 'slow' });
      await closed;
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    });

    it('publishes every route in /openapi.json and serves the docs from this origin', async () => {
      const document = await call('GET', '/openapi.json');
      expect(document.status).toBe(200);
      const parsed = JSON.parse(document.text) as { openapi: string; paths: Record<string, Record<string, { operationId: string; 'x-permission': string | null }>> };
      expect(parsed.openapi).toBe('3.1.0');
      const operations = Object.entries(parsed.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => `${method.toUpperCase()} ${path} ${operation.operationId}`));
      expect(operations.sort()).toEqual(
        demoRoutes(state)
          .map((route) => `${route.method} ${route.path} ${route.operationId}`)
          .sort(),
      );
      expect(parsed.paths['/v1/workspaces/{wsId}/widgets']?.post?.['x-permission']).toBe('widgets:create');

      const docs = await call('GET', '/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
      expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(docs.text).toContain('/docs/swagger-ui-bundle.js');
      expect(docs.text).not.toMatch(/https?:\/\//);
      const bundle = await fetch(`${base}/docs/swagger-ui-bundle.js`);
      expect(bundle.status).toBe(200);
      expect((await bundle.text()).length).toBeGreaterThan(100_000);
      expectProblem(await call('GET', '/docs/..%2Fpackage.json'), 404);
    });

    it('echoes request ids, continues the caller trace, counts requests by route and logs no secrets', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parentId = '00f067aa0ba902b7';
      spans.reset();
      const answer = await call('GET', `${widgets}?page=2`, {
        token: 'user-traced',
        headers: { 'x-request-id': 'req-abc-123', traceparent: `00-${traceId}-${parentId}-01` },
      });
      expect(answer.body).toEqual({ items: [], page: 2 });
      expect(answer.headers.get('x-request-id')).toBe('req-abc-123');
      expect((await call('GET', '/healthz')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

      const span = spans.getFinishedSpans().find((candidate) => candidate.spanContext().traceId === traceId);
      expect(span?.name).toBe('GET /v1/workspaces/{wsId}/widgets');
      expect(span?.parentSpanContext?.spanId).toBe(parentId);
      expect(span?.attributes['http.response.status_code']).toBe(200);

      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toMatch(/http_server_request_duration_count\{[^}]*http_route="\/v1\/workspaces\/\{wsId\}\/widgets"[^}]*http_response_status_code="200"/);
      expect(metrics.text).toMatch(/http_server_requests_total\{[^}]*http_route="\/v1\/workspaces\/\{wsId\}\/widgets"/);

      const line = logLines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.requestId === 'req-abc-123');
      expect(line).toMatchObject({ route: '/v1/workspaces/{wsId}/widgets', status: 200, trace_id: traceId, principal: 'user:traced' });
      expect(logLines.join('\n')).not.toContain('Bearer user-');
    });
  });
});
