/**
 * Idempotency-Key, table-driven over every POST operation of GET /openapi.json (an operation missing from
 * the table fails the suite): a request with a key, then ANOTHER request with the same key by the same
 * caller — the same route in another workspace, on another resource, with another body — is a 422 problem
 * that names nothing of the first (no id it created, no stream, no secret), and changes nothing; the first
 * request sent again is replayed (Idempotent-Replayed: true, the same answer). The same key on another
 * route is a 422 too. Without credentials (accepting an invitation), two people using the same key never
 * meet: each gets their own answer. A POST that does not take the key (EXEMPT: Stripe's webhook, deduplicated
 * by Stripe's event id) must say so in the document, and is shown to ignore it. Stripe is configured against a
 * local fake of its API (the customer portal), so that every billing POST answers 2xx.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { type Answer, Fixtures, GatewayClient, type Json, WORKSPACE_HEADER, loadOperations, startJobFixture, uniqueEmail } from './support/gateway-client';
import { createRuntimeFixture } from '../runtime/support/runtime-fixtures';
import { draftInvoiceFixture } from '../billing/support/invoice-fixtures';
import { createChannelFixture, testMessageFixture } from '../notifications/support/notification-fixtures';

jest.setTimeout(240_000);

interface Call {
  readonly path: string;
  readonly body: Json;
  readonly headers?: Record<string, string>;
  /** Default: the stack owner's token. */
  readonly token?: string;
}

interface Case {
  readonly first: () => Promise<Call> | Call;
  /** Another request (another workspace, resource or body) the same key must not run. */
  readonly other: () => Promise<Call> | Call;
}

/** POST operations that do not take Idempotency-Key, and why (each is checked below to ignore it). */
const EXEMPT: Readonly<Record<string, string>> = {
  receiveStripeWebhook: 'Stripe sends no key; a redelivery carries the same Stripe event id, which the billing service applies once',
  createStreamTicket: 'a ticket opens one stream once: a replayed answer would hand out a spent ticket; each request makes its own',
  retryOpsJob: 'acts on the job as it is now: retried once, it is no longer failed (a 404), never retried twice',
  removeOpsJob: 'a removed job is gone: removing it again is a 404, never a second effect',
  closeBillingPeriods: 'queues a run of the close job, idempotent per period: two runs issue nothing twice',
};

const WEBHOOK_SECRET = 'whsec_idem_steward';
const signer = new Stripe('sk_test_offline');

const hex = (): string => randomBytes(4).toString('hex');
const cloudEvent = (id: string): Json => ({ specversion: '1.0', type: 'llm.usage', id, source: 'idem-e2e', data: { provider: 'openai', model: 'gpt-4o', inputTokens: 3, outputTokens: 1 } });
const usage = (id: string): Json => ({ events: [{ id, source: 'idem-e2e', time: new Date().toISOString(), provider: 'openai', model: 'gpt-4o', inputTokens: 3, outputTokens: 1 }] });
const spans = (agent: string): Json => ({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: randomBytes(16).toString('hex'),
              spanId: randomBytes(8).toString('hex'),
              name: `invoke_agent ${agent}`,
              startTimeUnixNano: String(BigInt(Date.now() - 2000) * 1_000_000n),
              endTimeUnixNano: String(BigInt(Date.now() - 1000) * 1_000_000n),
              attributes: [
                { key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } },
                { key: 'gen_ai.agent.name', value: { stringValue: agent } },
              ],
            },
          ],
        },
      ],
    },
  ],
});

/** Ids of the first answer that must not appear in the answer to the other request. */
function idsIn(answer: Answer): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= 6) found.add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(answer.body);
  return [...found].filter((text) => /[0-9]/.test(text) && !/^\d{4}-\d\d-\d\dT/.test(text));
}

describe('Idempotency-Key is bound to the whole request', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fixtures: Fixtures;
  let posts: string[];
  let ws1: string;
  let ws2: string;
  let apiKey: string;
  let acceptor: { token: string; email: string };
  let fakeStripe: Server;
  const cases: Record<string, Case> = {};

  /** A checkout.session.completed for the stack's organization, signed as Stripe signs it. */
  const paidCheckout = (eventId: string, sessionId: string): { payload: string; headers: Record<string, string> } => {
    const payload = JSON.stringify({
      id: eventId,
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: sessionId, object: 'checkout.session', customer: 'cus_idem_1', payment_status: 'paid', client_reference_id: stack.organizationId, metadata: { organizationId: stack.organizationId, credits: '100' } } },
    });
    return { payload, headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } };
  };

  beforeAll(async () => {
    // Stripe's API as far as these requests call it: the customer portal
    fakeStripe = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        if (request.url === '/v1/billing_portal/sessions') response.end(JSON.stringify({ id: 'bps_idem', object: 'billing_portal.session', url: 'https://billing.stripe.test/p/bps_idem' }));
        else {
          response.statusCode = 404;
          response.end(JSON.stringify({ error: { message: 'unknown' } }));
        }
      });
    });
    await new Promise<void>((resolve) => fakeStripe.listen(0, '127.0.0.1', resolve));
    env = await createTestEnv();
    stack = await startStack(env, {
      env: {
        STRIPE_SECRET_KEY: 'sk_test_offline',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_BASE_URL: `http://127.0.0.1:${(fakeStripe.address() as AddressInfo).port}`,
        STEWARD_PAYMENT_PROVIDER: 'stripe',
        // the rotate-secret case's webhook channels point at a closed local port
        NOTIFICATIONS_WEBHOOK_ALLOWLIST: '127.0.0.1',
      },
    });
    client = new GatewayClient(stack.url);
    fixtures = new Fixtures(client);
    posts = (await loadOperations(client)).filter((operation) => operation.method === 'POST').map((operation) => operation.operationId);
    ws1 = stack.workspaceId;
    ws2 = await fixtures.createWorkspace(stack.ownerToken, stack.organizationId, 'second');
    apiKey = (await fixtures.issueApiKey(stack.ownerToken, ws1, ['read', 'usage:write', 'jobs:write'], 'idem key')).token;
    const runtime1 = await createRuntimeFixture(client, stack.ownerToken, ws1, 'idem one');
    const runtime2 = await createRuntimeFixture(client, stack.ownerToken, ws1, 'idem two');
    const job1 = await startJobFixture(client, stack.ownerToken, ws1, `idem-job-${hex()}`);
    const job2 = await startJobFixture(client, stack.ownerToken, ws1, `idem-job-${hex()}`);
    const job3 = await startJobFixture(client, stack.ownerToken, ws1, `idem-job-${hex()}`);
    const job4 = await startJobFixture(client, stack.ownerToken, ws1, `idem-job-${hex()}`);
    const invoiceId = await draftInvoiceFixture(env, client, stack.ownerToken, stack.organizationId, '2026-01', true);
    const voidableId = await draftInvoiceFixture(env, client, stack.ownerToken, stack.organizationId, '2026-02', true, 2);
    // the organization's Stripe customer, made by a paid Checkout: the portal needs one
    const checkout = paidCheckout(`evt_idem_${hex()}`, `cs_idem_${hex()}`);
    expect((await client.call('POST', '/v1/billing/providers/stripe/webhook', { rawBody: checkout.payload, headers: checkout.headers })).status).toBe(200);
    const billing = `/v1/organizations/${stack.organizationId}/billing`;
    await waitFor('the Stripe customer in the read model', async () => ((await client.call('POST', `${billing}/portal-session`, { token: stack.ownerToken, body: {} })).status === 201 ? true : undefined), {
      intervalMs: 250,
    });
    const steps = { steps: [{ type: 'user_message', content: 'hello' }] };
    // announcements (the bootstrap's owner is the first platform administrator) and notification channels
    const draft = async (title: string, publish: boolean): Promise<string> => {
      const drafted = await client.expect<{ id: string }>(201, 'POST', '/v1/announcements', { token: stack.ownerToken, body: { kind: 'feature', title, body: 'idem', audience: { type: 'all' } } });
      if (publish) await client.expect(200, 'POST', `/v1/announcements/${drafted.id}/publish`, { token: stack.ownerToken, body: {} });
      return drafted.id;
    };
    const [drafts, published, reads] = [
      [await draft('idem draft one', false), await draft('idem draft two', false)],
      [await draft('idem published one', true), await draft('idem published two', true)],
      [await draft('idem read one', true), await draft('idem read two', true)],
    ];
    const channels = `/v1/organizations/${stack.organizationId}/notification-channels`;
    const webhook = async (name: string): Promise<string> =>
      (await client.expect<{ id: string }>(201, 'POST', channels, { token: stack.ownerToken, body: { name, kind: 'webhook', url: 'http://127.0.0.1:9/idem', events: ['InvoiceIssued'] } })).id;
    const [hooks, mails] = [
      [await webhook('idem hook one'), await webhook('idem hook two')],
      [await createChannelFixture(client, stack.ownerToken, stack.organizationId, 'idem mail one'), await createChannelFixture(client, stack.ownerToken, stack.organizationId, 'idem mail two')],
    ];
    const messages = [await testMessageFixture(client, stack.ownerToken, stack.organizationId, mails[0]!), await testMessageFixture(client, stack.ownerToken, stack.organizationId, mails[1]!)];
    const deliveries = `/v1/organizations/${stack.organizationId}/notification-deliveries`;
    const runtime = { name: `idem ${hex()}`, provider: 'docker', config: { host: 'tcp://127.0.0.1:2375' } };
    Object.assign(cases, {
      createOrganization: { first: () => ({ path: '/v1/organizations', body: { name: 'Idem one', workspaceName: 'main' } }), other: () => ({ path: '/v1/organizations', body: { name: 'Idem two', workspaceName: 'main' } }) },
      createWorkspace: {
        first: () => ({ path: `/v1/organizations/${stack.organizationId}/workspaces`, body: { name: 'idem ws one' } }),
        other: () => ({ path: `/v1/organizations/${stack.organizationId}/workspaces`, body: { name: 'idem ws two' } }),
      },
      inviteMember: {
        first: () => ({ path: `/v1/workspaces/${ws1}/invitations`, body: { email: 'idem-invitee@example.test', role: 'member' } }),
        other: () => ({ path: `/v1/workspaces/${ws2}/invitations`, body: { email: 'idem-invitee@example.test', role: 'member' } }),
      },
      issueApiKey: {
        first: () => ({ path: `/v1/workspaces/${ws1}/api-keys`, body: { name: 'idem', scopes: ['read'] } }),
        other: () => ({ path: `/v1/workspaces/${ws2}/api-keys`, body: { name: 'idem', scopes: ['read'] } }),
      },
      ingestUsage: { first: () => ({ path: `/v1/workspaces/${ws1}/usage`, body: usage(`u-${hex()}`) }), other: () => ({ path: `/v1/workspaces/${ws2}/usage`, body: usage(`u-${hex()}`) }) },
      ingestCloudEvents: {
        first: () => ({ path: '/api/v1/events', body: cloudEvent(`ce-${hex()}`), token: apiKey }),
        other: () => ({ path: '/api/v1/events', body: cloudEvent(`ce-${hex()}`), token: apiKey }),
      },
      createJob: { first: () => ({ path: `/v1/workspaces/${ws1}/jobs`, body: { agent: 'idem' } }), other: () => ({ path: `/v1/workspaces/${ws2}/jobs`, body: { agent: 'idem' } }) },
      recordJobSteps: { first: () => ({ path: `/v1/workspaces/${ws1}/jobs/${job1}/steps`, body: steps }), other: () => ({ path: `/v1/workspaces/${ws1}/jobs/${job2}/steps`, body: steps }) },
      finishJob: { first: () => ({ path: `/v1/workspaces/${ws1}/jobs/${job3}/finish`, body: { status: 'success' } }), other: () => ({ path: `/v1/workspaces/${ws1}/jobs/${job4}/finish`, body: { status: 'success' } }) },
      ingestTraces: {
        first: () => ({ path: '/v1/traces', body: spans('idem-agent'), headers: { [WORKSPACE_HEADER]: ws1 } }),
        other: () => ({ path: '/v1/traces', body: spans('idem-agent'), headers: { [WORKSPACE_HEADER]: ws2 } }),
      },
      createRuntime: { first: () => ({ path: `/v1/workspaces/${ws1}/runtimes`, body: runtime }), other: () => ({ path: `/v1/workspaces/${ws2}/runtimes`, body: runtime }) },
      testRuntime: { first: () => ({ path: `/v1/workspaces/${ws1}/runtimes/${runtime1}/test`, body: {} }), other: () => ({ path: `/v1/workspaces/${ws1}/runtimes/${runtime2}/test`, body: {} }) },
      setDefaultRuntime: {
        first: () => ({ path: `/v1/workspaces/${ws1}/runtimes/${runtime1}/default`, body: {} }),
        other: () => ({ path: `/v1/workspaces/${ws1}/runtimes/${runtime2}/default`, body: {} }),
      },
      addBillingCredits: {
        first: () => ({ path: `${billing}/credits`, body: { credits: '10', kind: 'promotional' } }),
        other: () => ({ path: `${billing}/credits`, body: { credits: '20', kind: 'promotional' } }),
      },
      recordInvoicePayment: {
        first: () => ({ path: `${billing}/invoices/${invoiceId}/payments`, body: { amountUsd: '49.00', reference: 'idem-wire-1' } }),
        other: () => ({ path: `${billing}/invoices/${invoiceId}/payments`, body: { amountUsd: '49.00', reference: 'idem-wire-2' } }),
      },
      voidInvoice: {
        first: () => ({ path: `${billing}/invoices/${voidableId}/void`, body: { reason: 'idem void one' } }),
        other: () => ({ path: `${billing}/invoices/${voidableId}/void`, body: { reason: 'idem void two' } }),
      },
      adjustBillingCredits: {
        first: () => ({ path: `${billing}/credits/adjustments`, body: { amountCredits: '-3', reason: 'idem debit' } }),
        other: () => ({ path: `${billing}/credits/adjustments`, body: { amountCredits: '4', reason: 'idem credit' } }),
      },
      createBillingPortalSession: {
        first: () => ({ path: `${billing}/portal-session`, body: { returnUrl: 'https://console.example.test/billing' } }),
        other: () => ({ path: `${billing}/portal-session`, body: {} }),
      },
      defineBudget: {
        first: () => ({ path: `/v1/workspaces/${ws1}/budgets`, body: { name: 'idem budget', period: 'daily', limitUsd: '10' } }),
        other: () => ({ path: `/v1/workspaces/${ws2}/budgets`, body: { name: 'idem budget', period: 'daily', limitUsd: '10' } }),
      },
      reserveBudget: {
        // an API key with usage:write, as an agent reserves
        first: () => ({ path: `/v1/workspaces/${ws1}/budget-reservations`, body: { estimatedCostUsd: '0.50', agent: 'idem' }, token: apiKey }),
        other: () => ({ path: `/v1/workspaces/${ws1}/budget-reservations`, body: { estimatedCostUsd: '0.75', agent: 'idem' }, token: apiKey }),
      },
      createAnnouncement: {
        first: () => ({ path: '/v1/announcements', body: { kind: 'release', title: 'idem release one', body: 'idem', audience: { type: 'all' } } }),
        other: () => ({ path: '/v1/announcements', body: { kind: 'release', title: 'idem release two', body: 'idem', audience: { type: 'all' } } }),
      },
      publishAnnouncement: { first: () => ({ path: `/v1/announcements/${drafts[0]}/publish`, body: {} }), other: () => ({ path: `/v1/announcements/${drafts[1]}/publish`, body: {} }) },
      unpublishAnnouncement: { first: () => ({ path: `/v1/announcements/${published[0]}/unpublish`, body: {} }), other: () => ({ path: `/v1/announcements/${published[1]}/unpublish`, body: {} }) },
      markAnnouncementRead: { first: () => ({ path: `/v1/announcements/${reads[0]}/read`, body: {} }), other: () => ({ path: `/v1/announcements/${reads[1]}/read`, body: {} }) },
      createNotificationChannel: {
        first: () => ({ path: channels, body: { name: 'idem mail', kind: 'email', recipients: ['idem-one@example.test'], events: ['InvoiceIssued'] } }),
        other: () => ({ path: channels, body: { name: 'idem mail', kind: 'email', recipients: ['idem-two@example.test'], events: ['InvoiceIssued'] } }),
      },
      rotateNotificationChannelSecret: { first: () => ({ path: `${channels}/${hooks[0]}/rotate-secret`, body: {} }), other: () => ({ path: `${channels}/${hooks[1]}/rotate-secret`, body: {} }) },
      testNotificationChannel: { first: () => ({ path: `${channels}/${mails[0]}/test`, body: {} }), other: () => ({ path: `${channels}/${mails[1]}/test`, body: {} }) },
      resendNotificationDelivery: { first: () => ({ path: `${deliveries}/${messages[0]}/resend`, body: {} }), other: () => ({ path: `${deliveries}/${messages[1]}/resend`, body: {} }) },
      acceptInvitation: {
        // signed in: a person accepting one invitation, then another with the same key
        first: async () => ({ path: '/v1/invitations/accept', body: { token: (await fixtures.invite(stack.ownerToken, ws1, 'viewer', acceptor.email)).token }, token: acceptor.token }),
        other: async () => ({ path: '/v1/invitations/accept', body: { token: (await fixtures.invite(stack.ownerToken, ws2, 'viewer', acceptor.email)).token }, token: acceptor.token }),
      },
    });
    // a member of a third workspace, invited into the first two
    acceptor = await fixtures.newMember(stack.ownerToken, await fixtures.createWorkspace(stack.ownerToken, stack.organizationId, 'third'), 'member', 'acceptor');
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
    await new Promise((resolve) => fakeStripe?.close(resolve));
  });

  const send = (call: Call, key: string): Promise<Answer> =>
    client.call('POST', call.path, { token: call.token ?? stack.ownerToken, body: call.body, headers: { 'idempotency-key': key, ...call.headers } });

  it('the table covers every POST operation of the document', () => {
    expect([...posts].sort()).toEqual([...Object.keys(cases), ...Object.keys(EXEMPT)].sort());
  });

  it('per POST operation: the same key with another request is a 422 that tells nothing; the first is replayed', async () => {
    const failures: string[] = [];
    for (const operationId of posts.filter((id) => !(id in EXEMPT))) {
      const testCase = cases[operationId]!;
      const key = `idem-${operationId}-${hex()}`;
      const first = await testCase.first();
      const answer = await send(first, key);
      if (answer.status < 200 || answer.status >= 300) {
        failures.push(`${operationId}: the first request failed: ${answer.status} ${answer.text.slice(0, 300)}`);
        continue;
      }
      const other = await testCase.other();
      const reused = await send(other, key);
      const problem = reused.body as { status?: number; title?: string } | undefined;
      if (reused.status !== 422 || problem?.status !== 422 || !/^application\/problem\+json/.test(reused.headers.get('content-type') ?? '')) {
        failures.push(`${operationId}: the key reused with another request answered ${reused.status} ${reused.text.slice(0, 300)}`);
      }
      // what the other request itself named (its path is the problem's instance) is no leak
      const named = `${other.path} ${JSON.stringify(other.body)}`;
      const leaked = idsIn(answer).filter((id) => reused.text.includes(id) && !named.includes(id));
      if (leaked.length > 0) failures.push(`${operationId}: the 422 names what the first request made: ${leaked.join(', ')}`);
      if (/stream|revision/i.test(reused.text)) failures.push(`${operationId}: the 422 speaks of streams: ${reused.text}`);
      const again = await send(first, key);
      if (again.status !== answer.status || again.headers.get('idempotent-replayed') !== 'true' || again.text !== answer.text) {
        failures.push(`${operationId}: the first request sent again was not replayed: ${again.status} ${again.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('an exempt POST documents no Idempotency-Key, and Stripe’s webhook ignores one: its event id deduplicates', async () => {
    const document = await client.expect<{ paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>> }>(200, 'GET', '/openapi.json');
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    for (const operationId of Object.keys(EXEMPT)) {
      const operation = operations.find((candidate) => candidate.operationId === operationId)!;
      expect((operation.parameters ?? []).map((parameter) => parameter.name)).not.toContain('Idempotency-Key');
      expect(Object.keys(operation.responses)).not.toContain('422');
    }
    const key = `webhook-${hex()}`;
    const [one, two] = [paidCheckout(`evt_idem_${hex()}`, `cs_idem_${hex()}`), paidCheckout(`evt_idem_${hex()}`, `cs_idem_${hex()}`)];
    const deliver = (event: { payload: string; headers: Record<string, string> }): Promise<Answer> =>
      client.call('POST', '/v1/billing/providers/stripe/webhook', { rawBody: event.payload, headers: { ...event.headers, 'idempotency-key': key } });
    // two events under one key: both applied (no 422), the first redelivered: a duplicate by its event id, not a replay
    for (const [event, duplicate] of [[one, false], [two, false], [one, true]] as const) {
      const answer = await deliver(event);
      expect([answer.status, answer.body, answer.headers.get('idempotent-replayed')]).toEqual([200, { received: true, duplicate }, null]);
    }
  });

  it('budgets: a reused key holds nothing more and defines nothing more', async () => {
    const budget = await client.expect<{ id: string }>(201, 'POST', `/v1/workspaces/${ws2}/budgets`, { token: stack.ownerToken, body: { name: 'idem block', period: 'daily', limitUsd: '1', enforcement: 'block' } });
    const reserve = (estimatedCostUsd: string, key: string) => client.call('POST', `/v1/workspaces/${ws2}/budget-reservations`, { token: stack.ownerToken, body: { estimatedCostUsd }, headers: { 'idempotency-key': key } });
    const key = `idem-hold-${hex()}`;
    const first = await reserve('0.5', key);
    expect([first.status, (first.body as { remainingUsd: string }).remainingUsd]).toEqual([201, '0.5']);
    expect((await reserve('0.75', key)).status).toBe(422);
    const replayed = await reserve('0.5', key);
    expect([replayed.status, replayed.headers.get('idempotent-replayed'), replayed.text]).toEqual([201, 'true', first.text]);
    // 0.5 of the limit is held once: the refused 0.75 and the replay held nothing
    const next = await reserve('0.5', `idem-hold-${hex()}`);
    expect([next.status, (next.body as { remainingUsd: string }).remainingUsd]).toEqual([201, '0']);
    expect((await reserve('0.00000001', `idem-hold-${hex()}`)).status).toBe(402);
    // the defineBudget case's refused request made no budget in ws2
    const budgets = await client.expect<{ items: Array<{ id: string; name: string }> }>(200, 'GET', `/v1/workspaces/${ws2}/budgets`, { token: stack.ownerToken });
    expect(budgets.items.map((item) => item.name)).toEqual(['idem block']);
    expect(budgets.items[0]!.id).toBe(budget.id);
  });

  it('the key reused on another route is a 422, and the other request changed nothing', async () => {
    const key = `cross-${hex()}`;
    const job = `cross-job-${hex()}`;
    await client.expect(201, 'POST', `/v1/workspaces/${ws1}/jobs`, { token: stack.ownerToken, body: { jobId: job, agent: 'cross' }, headers: { 'idempotency-key': key } });
    const reused = await client.call('POST', `/v1/workspaces/${ws1}/api-keys`, { token: stack.ownerToken, body: { name: 'cross', scopes: ['read'] }, headers: { 'idempotency-key': key } });
    expect(reused.status).toBe(422);
    expect(reused.text).not.toContain(job);
    const keys = await client.expect<{ items: Array<{ name: string }> }>(200, 'GET', `/v1/workspaces/${ws1}/api-keys`, { token: stack.ownerToken });
    expect(keys.items.map((item) => item.name)).not.toContain('cross');
  });

  it('two people accepting their invitations without credentials with the same key each get their own answer', async () => {
    const key = 'accept-1';
    const [one, two] = [await fixtures.invite(stack.ownerToken, ws1, 'viewer', uniqueEmail('anon-one')), await fixtures.invite(stack.ownerToken, ws2, 'viewer', uniqueEmail('anon-two'))];
    const first = await client.call('POST', '/v1/invitations/accept', { body: { token: one.token }, headers: { 'idempotency-key': key } });
    const second = await client.call('POST', '/v1/invitations/accept', { body: { token: two.token }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const [a, b] = [first.body as { invitationId: string; userId: string; token: string }, second.body as { invitationId: string; userId: string; token: string }];
    expect(a.invitationId).toBe(one.id);
    expect(b.invitationId).toBe(two.id);
    expect(b.userId).not.toBe(a.userId);
    expect(second.text).not.toContain(a.token);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    // each really joined their own workspace
    await fixtures.waitForMember(stack.ownerToken, ws1, a.userId, 'viewer');
    await fixtures.waitForMember(stack.ownerToken, ws2, b.userId, 'viewer');
    // the first person's retry is still theirs
    const retry = await client.call('POST', '/v1/invitations/accept', { body: { token: one.token }, headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(201);
    expect((retry.body as { userId: string }).userId).toBe(a.userId);
  });
});
