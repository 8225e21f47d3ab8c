/**
 * Notifications end to end over HTTP, against the whole stack: a local
 * receiver verifies every webhook with the `standardwebhooks` package (an
 * independent verifier) and fails the first attempts before accepting — one
 * logical message, retried, every attempt logged; 410 disables the channel;
 * attempts used up make a dead letter, listed and resent; a rotated secret
 * signs alongside the previous one; Slack gets its incoming-webhook JSON; a
 * local `smtp-server` receives the email; loopback and private targets
 * outside the allow-list are refused; an event replayed into the dispatch
 * reactor (its checkpoint reset) makes no second message.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';
import { PostgresEventStore } from '@steward/event-store';
import { generateMasterKey } from '@steward/secrets';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { GatewayClient } from '../gateway/support/gateway-client';

jest.setTimeout(180_000);

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

interface Delivery {
  id: string;
  status: string;
  eventType: string;
  round: number;
  attemptCount: number;
  deadReason: string | null;
  attempts: Array<{ attempt: number; round: number; outcome: string; statusCode: number | null; latencyMs: number; error: string | null }>;
}

/** The receiver: per path, the status codes to answer in turn (the last one repeats). */
class Receiver {
  readonly received: Received[] = [];
  readonly plans = new Map<string, number[]>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const path = request.url ?? '/';
        this.received.push({ path, headers: request.headers, body });
        const plan = this.plans.get(path) ?? [200];
        const status = plan.length > 1 ? plan.shift()! : plan[0]!;
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((entry) => entry.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('notifications over HTTP', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let owner: string;
  let org: string;
  const receiver = new Receiver();
  const mails: Array<{ from: string; to: string[]; data: string }> = [];
  let smtp: SMTPServer;
  let smtpPort = 0;

  beforeAll(async () => {
    await receiver.start();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        stream.on('end', () => {
          mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((rcpt) => rcpt.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    env = await createTestEnv();
    stack = await startStack(env, {
      logLevel: 'info',
      env: {
        STEWARD_MASTER_KEY: generateMasterKey(),
        NOTIFICATIONS_WEBHOOK_ALLOWLIST: '127.0.0.1',
        NOTIFICATIONS_RETRY_SCHEDULE: '200,300,300',
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        SMTP_FROM: 'Steward <alerts@steward.test>',
      },
    });
    client = new GatewayClient(stack.url);
    owner = stack.ownerToken;
    org = stack.organizationId;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
    await receiver.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  const channels = () => `/v1/organizations/${org}/notification-channels`;
  const createChannel = async (body: Record<string, unknown>) => client.expect<{ id: string; secret?: string; secretHint: string | null; url: string | null }>(201, 'POST', channels(), { token: owner, body });
  const test = async (channelId: string) => (await client.expect<{ messageId: string }>(202, 'POST', `${channels()}/${channelId}/test`, { token: owner, body: {} })).messageId;
  const settled = (messageId: string, status: string) =>
    waitFor(`message ${messageId} ${status}`, async () => {
      const answer = await client.call('GET', `/v1/organizations/${org}/notification-deliveries/${messageId}`, { token: owner });
      return answer.status === 200 && (answer.body as Delivery).status === status ? (answer.body as Delivery) : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });

  it('refuses loopback and private targets the allow-list does not name, naming body.url', async () => {
    for (const url of ['http://127.0.0.2:9/hook', 'http://[::1]:9/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/hook']) {
      const answer = await client.call('POST', channels(), { token: owner, body: { name: 'Refused', kind: 'webhook', url, events: ['InvoiceIssued'] } });
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain('body.url');
    }
    const page = await client.expect<{ total: number }>(200, 'GET', channels(), { token: owner });
    expect(page.total).toBe(0);
  });

  it('delivers one logical message, signed, retried until the receiver accepts, every attempt logged', async () => {
    receiver.plans.set('/flaky', [500, 503, 200]);
    const channel = await createChannel({ name: 'Flaky hook', kind: 'webhook', url: receiver.url('/flaky'), events: ['InvoiceIssued', 'RuntimeTestFailed'] });
    expect(channel.secret).toMatch(/^whsec_/);
    // the secret is never readable again
    const read = await client.expect<Record<string, unknown>>(200, 'GET', `${channels()}/${channel.id}`, { token: owner });
    expect(JSON.stringify(read)).not.toContain(channel.secret!.slice(6));
    expect(read.secretHint).toMatch(/^••••/);

    const messageId = await test(channel.id);
    const done = await settled(messageId, 'delivered');
    expect(done.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 503, 200]);
    expect(done.attempts.map((attempt) => attempt.outcome)).toEqual(['failed', 'failed', 'delivered']);
    expect(done.attempts[0]!.error).toContain('HTTP 500');
    const requests = receiver.at('/flaky');
    expect(requests).toHaveLength(3);
    const verifier = new Webhook(channel.secret!);
    for (const request of requests) {
      expect(request.headers['webhook-id']).toBe(messageId);
      expect(verifier.verify(request.body, request.headers as Record<string, string>)).toEqual(expect.objectContaining({ type: 'NotificationTest' }));
    }
    const log = await client.expect<{ total: number; items: Delivery[] }>(200, 'GET', `${channels()}/${channel.id}/deliveries`, { token: owner });
    expect(log.total).toBe(1);
  });

  it('disables the channel on 410 Gone; a disabled channel sends nothing until enabled again', async () => {
    receiver.plans.set('/gone', [410]);
    const channel = await createChannel({ name: 'Gone hook', kind: 'webhook', url: receiver.url('/gone'), events: ['InvoiceIssued'] });
    const messageId = await test(channel.id);
    const dead = await settled(messageId, 'dead');
    expect(dead.deadReason).toBe('endpoint_gone');
    expect(dead.attempts).toHaveLength(1);
    const disabled = await waitFor('channel disabled', async () => {
      const view = await client.expect<{ enabled: boolean; disabledReason: string | null }>(200, 'GET', `${channels()}/${channel.id}`, { token: owner });
      return view.enabled ? undefined : view;
    });
    expect(disabled.disabledReason).toBe('endpoint_gone');
    expect((await client.call('POST', `${channels()}/${channel.id}/test`, { token: owner, body: {} })).status).toBe(409);
    const enabled = await client.expect<{ enabled: boolean }>(200, 'PATCH', `${channels()}/${channel.id}`, { token: owner, body: { enabled: true } });
    expect(enabled.enabled).toBe(true);
  });

  it('makes a dead letter after the last attempt, lists it for ops, and resends it with the same webhook-id', async () => {
    receiver.plans.set('/down', [500]);
    const channel = await createChannel({ name: 'Down hook', kind: 'webhook', url: receiver.url('/down'), events: ['InvoiceIssued'] });
    const messageId = await test(channel.id);
    const dead = await settled(messageId, 'dead');
    expect(dead.deadReason).toBe('attempts_exhausted');
    expect(dead.attempts).toHaveLength(4);
    const letters = await client.expect<{ items: Delivery[] }>(200, 'GET', `/v1/organizations/${org}/notification-deliveries?status=dead`, { token: owner });
    expect(letters.items.map((item) => item.id)).toContain(messageId);

    receiver.plans.set('/down', [200]);
    await client.expect(202, 'POST', `/v1/organizations/${org}/notification-deliveries/${messageId}/resend`, { token: owner, body: {} });
    const delivered = await settled(messageId, 'delivered');
    expect(delivered.round).toBe(1);
    expect(delivered.attempts.filter((attempt) => attempt.round === 1).map((attempt) => attempt.statusCode)).toEqual([200]);
    expect(receiver.at('/down').every((request) => request.headers['webhook-id'] === messageId)).toBe(true);
  });

  it('signs with the new and the previous secret after a rotation', async () => {
    const channel = await createChannel({ name: 'Rotated hook', kind: 'webhook', url: receiver.url('/rotated'), events: ['InvoiceIssued'] });
    const rotated = await client.expect<{ secret: string; previousSecretValidUntil: string }>(200, 'POST', `${channels()}/${channel.id}/rotate-secret`, { token: owner, body: {} });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(channel.secret);
    expect(Date.parse(rotated.previousSecretValidUntil) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await settled(await test(channel.id), 'delivered');
    const [request] = receiver.at('/rotated');
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.secret).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(channel.secret!).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
  });

  it('posts Slack its incoming-webhook JSON; the Slack URL is kept secret', async () => {
    const channel = await createChannel({ name: 'Slack', kind: 'slack', url: receiver.url('/slack/T000/B000/XXXX'), events: ['LowCreditBalanceReached'] });
    expect(channel.url).toBeNull();
    expect(channel.secret).toBeUndefined();
    await settled(await test(channel.id), 'delivered');
    const [request] = receiver.at('/slack/T000/B000/XXXX');
    const body = JSON.parse(request!.body) as { text: string; blocks: unknown[] };
    expect(body.text).toContain('Test notification from Steward');
    expect(body.blocks.length).toBeGreaterThan(1);
  });

  it('sends email through SMTP', async () => {
    const channel = await createChannel({ name: 'Finance mail', kind: 'email', recipients: ['finance@example.com'], events: ['InvoiceIssued'] });
    await settled(await test(channel.id), 'delivered');
    const mail = await waitFor('the email', async () => mails.find((entry) => entry.to.includes('finance@example.com')));
    expect(mail.from).toBe('alerts@steward.test');
    expect(mail.data).toContain('Subject: [Steward] Test notification from Steward');
  });

  it('turns an event into one message per subscribed channel, and an event replayed into none more', async () => {
    const channel = await createChannel({ name: 'Budget hook', kind: 'webhook', url: receiver.url('/budgets'), events: ['BudgetThresholdCrossed'] });
    const store = new PostgresEventStore({ pool: env.pool, ...(stack.childEnv.EVENT_STORE_SCHEMA ? { schema: stack.childEnv.EVENT_STORE_SCHEMA } : {}) });
    const eventId = randomUUID();
    const data = {
      budgetId: 'bud_1',
      organizationId: org,
      workspaceId: stack.workspaceId,
      budgetName: 'Research',
      period: { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z', label: 'December 2026' },
      thresholdPercent: 80,
      limitUsd: '500.00',
      spendUsd: '412.50',
      enforcement: 'alert',
      crossedAt: '2026-12-10T10:00:00.000Z',
    };
    await store.append(`budgets-budget-${randomUUID()}`, [{ eventId, type: 'BudgetThresholdCrossed', version: 1, data, metadata: { correlationId: eventId, actor: { type: 'system', id: 'budgets' }, organizationId: org, occurredAt: data.crossedAt } }], { expectedRevision: 'no_stream' });
    const [request] = await waitFor('the budget webhook', async () => (receiver.at('/budgets').length > 0 ? receiver.at('/budgets') : undefined), { timeoutMs: 30_000 });
    const payload = new Webhook(channel.secret!).verify(request!.body, request!.headers as Record<string, string>) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(payload).toEqual({ type: 'BudgetThresholdCrossed', timestamp: data.crossedAt, data });

    // replay: the reactor reads everything again from the start
    await stack.kill('notifications', 'SIGTERM');
    await env.pool.query(`UPDATE steward_projections.checkpoints SET commit_position = '0', prepare_position = '0' WHERE name = 'notification-dispatch'`);
    await stack.restart('notifications');
    await waitFor('the reactor past the event again', async () => {
      const { rows } = await env.pool.query<{ n: string }>(`SELECT events_applied::text AS n FROM steward_projections.checkpoints WHERE name = 'notification-dispatch' AND commit_position::numeric > 0`);
      return rows[0] ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const log = await client.expect<{ total: number; items: Delivery[] }>(200, 'GET', `${channels()}/${channel.id}/deliveries`, { token: owner });
    expect(log.total).toBe(1);
    expect(log.items[0]!.attemptCount).toBe(1);
    expect(receiver.at('/budgets')).toHaveLength(1);
    await store.close();
  });
});
