import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createLogger, scrubSecrets } from './logger';
import { initTelemetry, resetTelemetryForTests } from './telemetry';
import { withSpan } from './tracing';

/** Collects every line the logger writes. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const text = () => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const secrets = {
  password: 'hunter2-password-value',
  nestedToken: 'tok-nested-0123456789',
  apiKey: 'apikey-value-abcdef',
  clientSecret: 'client-secret-value-xyz',
  authorization: 'Bearer abc.def.ghi-authz-header',
  cookie: 'session=cookie-value-123',
  privateKey: '-----BEGIN PRIVATE KEY-----MIIEv',
  deep: 'deep-master-key-value-999',
  bearerInMessage: 'eyMessageBearerToken0123456789',
  skKey: 'sk-proj-AbCdEf0123456789xyz',
  stwKey: 'stw_live_0123456789abcdefghij',
  urlPassword: 'pg-url-password-77',
};

describe('createLogger', () => {
  afterEach(async () => {
    await resetTelemetryForTests();
  });

  it('writes JSON lines with an ISO time, the level label and the service name', () => {
    const out = capture();
    const logger = createLogger({ name: 'usage-metering', level: 'info', destination: out.stream });
    logger.info({ workspaceId: 'ws_1' }, 'usage recorded');
    logger.debug('not written at info');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 'info', service: 'usage-metering', workspaceId: 'ws_1', msg: 'usage recorded' });
    expect(new Date(String(line!.time)).toISOString()).toBe(line!.time);
  });

  it('never writes a secret, whether under a secret key at any depth or inside a string', () => {
    const out = capture();
    const logger = createLogger({ name: 'gateway', level: 'info', destination: out.stream });
    logger.info(
      {
        user: { email: 'a@example.com', password: secrets.password },
        request: {
          headers: { authorization: secrets.authorization, cookie: secrets.cookie, 'x-api-key': secrets.apiKey },
          body: { runtime: { credentials: { clientSecret: secrets.clientSecret, privateKey: secrets.privateKey } } },
        },
        level1: { level2: { level3: { level4: { level5: { masterKey: secrets.deep, accessToken: secrets.nestedToken } } } } },
        list: [{ api_key: secrets.apiKey }, `key ${secrets.skKey}`],
        databaseUrl: `postgres://steward:${secrets.urlPassword}@db:5432/steward`,
        inputTokens: 1200,
      },
      `calling provider with Authorization: Bearer ${secrets.bearerInMessage} and key ${secrets.stwKey}`,
    );
    logger.warn('retrying with %s', `Bearer ${secrets.bearerInMessage}`);
    logger.error(new Error(`upstream refused key ${secrets.skKey}`));

    const text = out.text();
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, leaked: text.includes(value) }).toEqual({ name, leaked: false });
    }
    const [first, second, third] = out.lines();
    // what is not secret is still there
    expect(first).toMatchObject({
      user: { email: 'a@example.com', password: '[REDACTED]' },
      inputTokens: 1200,
      databaseUrl: 'postgres://steward:[REDACTED]@db:5432/steward',
    });
    expect(first!.msg).toBe('calling provider with Authorization: Bearer [REDACTED] and key [REDACTED]');
    expect(second!.msg).toBe('retrying with Bearer [REDACTED]');
    expect(third).toMatchObject({ level: 'error', msg: 'upstream refused key [REDACTED]', err: { type: 'Error' } });
  });

  it('scrubs secrets out of child bindings', () => {
    const out = capture();
    const logger = createLogger({ name: 'gateway', level: 'info', destination: out.stream });
    logger.child({ token: secrets.stwKey, note: `auth Bearer ${secrets.bearerInMessage}` }).info('child line');
    expect(out.text()).not.toContain(secrets.stwKey);
    expect(out.text()).not.toContain(secrets.bearerInMessage);
    expect(out.lines()[0]).toMatchObject({ msg: 'child line', service: 'gateway' });
  });

  it('mixes in the trace and span ids of the active span', async () => {
    const exporter = new InMemorySpanExporter();
    initTelemetry({ serviceName: 'logger-test', exporters: { prometheus: false }, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const out = capture();
    const logger = createLogger({ name: 'logger-test', level: 'info', destination: out.stream });
    const ids = await withSpan('work', {}, (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    logger.info('outside');
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside).not.toHaveProperty('trace_id');
  });
});

describe('scrubSecrets', () => {
  it('leaves ordinary text alone', () => {
    const text = 'workspace ws_1 used 1200 tokens on gpt-4o (task-manager skill)';
    expect(scrubSecrets(text)).toBe(text);
  });
});
