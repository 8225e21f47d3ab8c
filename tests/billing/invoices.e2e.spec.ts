/**
 * Invoices and payments over the running stack, Stripe configured with offline keys and a local fake of
 * Stripe's API (Checkout and the customer portal: no network). The PDF is parsed back with unpdf; webhooks are
 * signed with the stripe library's own test-header helper.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { extractText, getDocumentProxy } from 'unpdf';
import { BillingStreams, InvoiceStreams } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { GatewayClient, eventHead } from '../gateway/support/gateway-client';
import { draftInvoiceFixture } from './support/invoice-fixtures';

jest.setTimeout(180_000);

const WEBHOOK_SECRET = 'whsec_e2e_steward';
const signer = new Stripe('sk_test_offline');

describe('invoices, payments and Stripe over the stack', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: GatewayClient;
  let fakeStripe: Server;
  const stripeCalls: Array<{ path: string; body: string; authorization: string | undefined }> = [];
  let invoiceId: string;

  beforeAll(async () => {
    // Stripe's API as far as Steward calls it: Checkout sessions and portal sessions
    fakeStripe = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        stripeCalls.push({ path: request.url ?? '', body, authorization: request.headers.authorization });
        response.setHeader('content-type', 'application/json');
        if (request.url === '/v1/checkout/sessions') response.end(JSON.stringify({ id: 'cs_fake_1', object: 'checkout.session', url: 'https://checkout.stripe.test/c/cs_fake_1' }));
        else if (request.url === '/v1/billing_portal/sessions') response.end(JSON.stringify({ id: 'bps_fake_1', object: 'billing_portal.session', url: 'https://billing.stripe.test/p/bps_fake_1' }));
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
      },
    });
    client = new GatewayClient(stack.url);
    invoiceId = await draftInvoiceFixture(env, client, stack.ownerToken, stack.organizationId, '2026-01', true);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
    await new Promise((resolve) => fakeStripe?.close(resolve));
  });

  const base = () => `/v1/organizations/${stack.organizationId}/billing`;

  it('lists the invoice, shows its lines, and its PDF holds them', async () => {
    const page = await client.expect<{ items: Array<{ id: string; status: string; number: string }>; total: number }>(200, 'GET', `${base()}/invoices`, { token: stack.ownerToken });
    expect(page.items.map((item) => [item.id, item.status, item.number])).toEqual([[invoiceId, 'issued', 'INV-FIXTURE-000001']]);
    const pdf = await fetch(`${stack.url}${base()}/invoices/${invoiceId}/pdf`, { headers: { authorization: `Bearer ${stack.ownerToken}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(await pdf.arrayBuffer())), { mergePages: true });
    for (const expected of ['Invoice INV-FIXTURE-000001', 'Billing period: 2026-01 (UTC)', 'Standard plan', '49 USD | 4900 credits', 'Total due: 49.00 USD (4900 credits)']) expect(text).toContain(expected);
  });

  it('records a manual payment of the amount due, once; another amount is a 400 naming it', async () => {
    const wrong = await client.call('POST', `${base()}/invoices/${invoiceId}/payments`, { token: stack.ownerToken, body: { amountUsd: '48.99', reference: 'wire-1' }, headers: { 'idempotency-key': 'pay-wrong' } });
    expect(wrong.status).toBe(400);
    expect((wrong.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain('body.amountUsd');
    const paid = await client.expect<{ status: string; payment: { provider: string; reference: string } }>(201, 'POST', `${base()}/invoices/${invoiceId}/payments`, {
      token: stack.ownerToken,
      body: { amountUsd: '49.00', reference: 'wire-1' },
      headers: { 'idempotency-key': 'pay-1' },
    });
    expect(paid).toMatchObject({ status: 'paid', payment: { provider: 'manual', reference: 'wire-1' } });
    const before = await eventHead(env.pool);
    await client.expect(201, 'POST', `${base()}/invoices/${invoiceId}/payments`, { token: stack.ownerToken, body: { amountUsd: '49.00', reference: 'wire-1' }, headers: { 'idempotency-key': 'pay-2' } });
    expect(await eventHead(env.pool)).toBe(before);
  });

  it('Add Credits with Stripe answers a Checkout URL; a signed checkout.session.completed delivered three times grants once', async () => {
    const checkout = await client.expect<{ url: string; provider: string }>(202, 'POST', `${base()}/credits`, { token: stack.ownerToken, body: { credits: '2500', kind: 'purchase' }, headers: { 'idempotency-key': 'buy-1' } });
    expect(checkout).toMatchObject({ provider: 'stripe', url: 'https://checkout.stripe.test/c/cs_fake_1' });
    const call = stripeCalls.find((candidate) => candidate.path === '/v1/checkout/sessions')!;
    expect(call.authorization).toBe('Bearer sk_test_offline');
    expect(decodeURIComponent(call.body)).toContain(`metadata[organizationId]=${stack.organizationId}`);

    const payload = JSON.stringify({
      id: 'evt_e2e_checkout_1',
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_fake_1', object: 'checkout.session', customer: 'cus_e2e_1', payment_status: 'paid', client_reference_id: stack.organizationId, metadata: { organizationId: stack.organizationId, credits: '2500' } } },
    });
    for (let delivery = 0; delivery < 3; delivery++) {
      const answer = await client.call('POST', '/v1/billing/providers/stripe/webhook', { rawBody: payload, headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ received: true, duplicate: delivery > 0 });
    }
    const store = new PostgresEventStore({ pool: env.pool });
    const grants = (await store.readStream(BillingStreams.account(stack.organizationId))).filter((event) => (event.data as { grantId?: string }).grantId === 'stripe-cs_fake_1');
    await store.close();
    expect(grants.map((event) => [event.type, (event.data as { amount: string }).amount])).toEqual([['CreditsGranted', '2500']]);
  });

  it('a bad signature is a 400 naming the header and changes nothing', async () => {
    const payload = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'checkout.session.completed', data: { object: { id: 'cs_forged', payment_status: 'paid', metadata: { organizationId: stack.organizationId, credits: '999999' } } } });
    const before = await eventHead(env.pool);
    for (const signature of [signer.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' }), undefined]) {
      const answer = await client.call('POST', '/v1/billing/providers/stripe/webhook', { rawBody: payload, headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) } });
      expect(answer.status).toBe(400);
      expect((answer.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toEqual(['header.Stripe-Signature']);
    }
    expect(await eventHead(env.pool)).toBe(before);
  });

  it('"Manage Subscription" opens the customer portal of the customer Checkout made', async () => {
    await waitFor('the Stripe customer in the read model', async () => {
      const answer = await client.call('POST', `${base()}/portal-session`, { token: stack.ownerToken, body: {}, headers: { 'idempotency-key': `portal-${Date.now()}` } });
      return answer.status === 201 ? answer.body : undefined;
    }, { intervalMs: 250 }).then((body) => expect(body).toEqual({ provider: 'stripe', url: 'https://billing.stripe.test/p/bps_fake_1' }));
    const call = stripeCalls.find((candidate) => candidate.path === '/v1/billing_portal/sessions')!;
    expect(decodeURIComponent(call.body)).toContain('customer=cus_e2e_1');
  });

  it('voids an issued invoice after a failed payment: no credit comes back; a paid or void invoice is a 409', async () => {
    const failedId = await draftInvoiceFixture(env, client, stack.ownerToken, stack.organizationId, '2026-02', true, 2);
    const payload = JSON.stringify({
      id: 'evt_e2e_invoice_failed_1',
      object: 'event',
      type: 'invoice.payment_failed',
      data: { object: { id: 'in_e2e_failed_1', object: 'invoice', customer: 'cus_e2e_1', metadata: { organizationId: stack.organizationId, period: '2026-02', invoiceId: failedId } } },
    });
    const delivered = await client.call('POST', '/v1/billing/providers/stripe/webhook', { rawBody: payload, headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } });
    expect(delivered.status).toBe(200);
    await waitFor('the failed payment in the read model', async () => {
      const invoice = await client.expect<{ lastPaymentFailure: string | null }>(200, 'GET', `${base()}/invoices/${failedId}`, { token: stack.ownerToken });
      return invoice.lastPaymentFailure ? true : undefined;
    });

    const store = new PostgresEventStore({ pool: env.pool });
    const account = async () => (await store.readStream(BillingStreams.account(stack.organizationId))).map((event) => event.eventId);
    const accountBefore = await account();
    const balanceBefore = (await client.expect<{ credits: { available: string } }>(200, 'GET', base(), { token: stack.ownerToken })).credits.available;
    const voided = await client.expect<{ status: string; voidedAt: string | null; voidReason: string | null; totalDueUsd: string }>(200, 'POST', `${base()}/invoices/${failedId}/void`, {
      token: stack.ownerToken,
      body: { reason: 'uncollectible after a declined card' },
      headers: { 'idempotency-key': 'void-1' },
    });
    expect(voided).toMatchObject({ status: 'void', voidReason: 'uncollectible after a declined card', totalDueUsd: '49.00' });
    expect(voided.voidedAt).not.toBeNull();
    const [recorded] = (await store.readStream(InvoiceStreams.invoice(stack.organizationId, '2026-02'))).filter((event) => event.type === 'InvoiceVoided');
    expect(recorded!.data).toMatchObject({ reason: 'uncollectible after a declined card', voidedBy: expect.stringMatching(/^usr_/) });
    // the void credited nothing back: the account's stream and balance are what they were
    expect(await account()).toEqual(accountBefore);
    expect((await client.expect<{ credits: { available: string } }>(200, 'GET', base(), { token: stack.ownerToken })).credits.available).toBe(balanceBefore);
    await store.close();

    // the same key replays the first answer; another void of a void invoice, and a void of the paid one, are 409 problems
    const head = await eventHead(env.pool);
    const replay = await client.call('POST', `${base()}/invoices/${failedId}/void`, { token: stack.ownerToken, body: { reason: 'uncollectible after a declined card' }, headers: { 'idempotency-key': 'void-1' } });
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    for (const [id, pattern] of [
      [failedId, /void/],
      [invoiceId, /paid/],
    ] as const) {
      const refused = await client.call('POST', `${base()}/invoices/${id}/void`, { token: stack.ownerToken, body: { reason: 'again' }, headers: { 'idempotency-key': `void-again-${id}` } });
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((refused.body as { detail: string }).detail).toMatch(pattern);
    }
    // a void invoice is not payable
    expect((await client.call('POST', `${base()}/invoices/${failedId}/payments`, { token: stack.ownerToken, body: { amountUsd: '49.00', reference: 'late-wire' } })).status).toBe(409);
    expect(await eventHead(env.pool)).toBe(head);
    const listed = await client.expect<{ items: Array<{ id: string; status: string }> }>(200, 'GET', `${base()}/invoices?status=void`, { token: stack.ownerToken });
    expect(listed.items.map((item) => item.id)).toEqual([failedId]);
  });
});
