import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { DEFAULT_PLAN_CATALOGUE } from '@steward/billing';
import { BillingStreams, InvoiceStreams } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { createLogger } from '@steward/observability';
import { createTestEnv, type TestEnv } from '@steward/testing';
import { AccountStreams } from '../accounts/account-streams';
import { BillingCommandRunner } from '../accounts/billing-command.runner';
import { invoiceIdFor } from '../invoices/invoice-closer';
import { InvoiceCommandRunner } from '../invoices/invoice-command.runner';
import { InvoiceError, InvoiceErrorCode } from '../invoices/invoice.error';
import { purchaseGrant } from '../invoices/invoicing';
import { StripePaymentProvider } from './stripe-payment-provider';
import { StripeWebhookProcessor } from './stripe-webhook.processor';

jest.setTimeout(120_000);

const WEBHOOK_SECRET = 'whsec_test_steward';
const logger = createLogger({ name: 'stripe-webhook-test', level: 'silent' });
// the library's own signer: offline, no network
const signer = new Stripe('sk_test_offline');
const sign = (payload: string, secret = WEBHOOK_SECRET) => signer.webhooks.generateTestHeaderString({ payload, secret });

describe('Stripe webhooks (signed offline with the library’s test header)', () => {
  let env: TestEnv;
  let store: PostgresEventStore;
  let processor: StripeWebhookProcessor;
  let invoices: InvoiceCommandRunner;
  const org = `org_s${randomUUID().replace(/-/g, '').slice(0, 20)}`;

  beforeAll(async () => {
    env = await createTestEnv();
    store = new PostgresEventStore({ pool: env.pool });
    await store.migrate();
    const accounts = new AccountStreams(store);
    const runner = new BillingCommandRunner({ store, accounts, catalogue: DEFAULT_PLAN_CATALOGUE, defaultTimeZone: 'UTC', authorize: async () => undefined });
    invoices = new InvoiceCommandRunner({ store });
    const provider = await StripePaymentProvider.create({ secretKey: 'sk_test_offline', webhookSecret: WEBHOOK_SECRET, successUrl: 'http://console/ok', cancelUrl: 'http://console/no' });
    processor = new StripeWebhookProcessor({ provider, store, invoices, grant: purchaseGrant(runner), logger });
  });

  afterAll(async () => {
    await store?.close();
    await env?.dispose();
  });

  const checkoutCompleted = (eventId: string, sessionId: string) =>
    JSON.stringify({
      id: eventId,
      object: 'event',
      type: 'checkout.session.completed',
      api_version: '2025-01-27',
      created: 1_780_000_000,
      data: {
        object: {
          id: sessionId,
          object: 'checkout.session',
          client_reference_id: org,
          customer: 'cus_steward_1',
          payment_status: 'paid',
          status: 'complete',
          metadata: { organizationId: org, credits: '2500' },
        },
      },
    });

  const grantsOf = async () =>
    (await store.readStream(BillingStreams.account(org))).filter((event) => event.type === 'CreditsGranted' && (event.data as { kind: string }).kind === 'purchase');

  it('a signed checkout.session.completed grants once, however often it is delivered', async () => {
    const payload = checkoutCompleted('evt_checkout_1', 'cs_test_1');
    const first = await processor.handle(payload, sign(payload));
    expect(first).toMatchObject({ duplicate: false, outcome: 'credits_granted' });
    // two more deliveries of the same event, one of them concurrent with a third
    const again = await Promise.all([processor.handle(payload, sign(payload)), processor.handle(payload, sign(payload))]);
    expect(again.every((outcome) => outcome.duplicate)).toBe(true);
    const grants = await grantsOf();
    expect(grants).toHaveLength(1);
    expect(grants[0]!.data).toMatchObject({ grantId: 'stripe-cs_test_1', amount: '2500', kind: 'purchase' });
    expect(await store.readStream(InvoiceStreams.providerEvent('stripe', 'evt_checkout_1'))).toHaveLength(1);
    // the secret key and webhook secret are in no stored event
    const stored = JSON.stringify(
      [...(await store.readStream(BillingStreams.account(org))), ...(await store.readStream(InvoiceStreams.providerEvent('stripe', 'evt_checkout_1')))].map((event) => [event.data, event.metadata]),
    );
    expect(stored).not.toContain(WEBHOOK_SECRET);
    expect(stored).not.toContain('sk_test_offline');
  });

  it('another event of the same Checkout session does not grant again', async () => {
    const payload = checkoutCompleted('evt_checkout_1b', 'cs_test_1').replace('checkout.session.completed', 'checkout.session.async_payment_succeeded');
    await processor.handle(payload, sign(payload));
    expect(await grantsOf()).toHaveLength(1);
  });

  it('a bad signature is refused as BAD_SIGNATURE and changes nothing', async () => {
    const before = (await store.readStream(BillingStreams.account(org))).length;
    const payload = checkoutCompleted('evt_forged', 'cs_forged');
    for (const signature of [sign(payload, 'whsec_someone_else'), 't=1,v1=deadbeef', undefined]) {
      await expect(processor.handle(payload, signature)).rejects.toMatchObject({ code: InvoiceErrorCode.BadSignature, field: 'header.stripe-signature' });
    }
    // a payload changed after signing
    const tampered = payload.replace('2500', '250000');
    await expect(processor.handle(tampered, sign(payload))).rejects.toBeInstanceOf(InvoiceError);
    expect((await store.readStream(BillingStreams.account(org))).length).toBe(before);
    expect(await store.readStream(InvoiceStreams.providerEvent('stripe', 'evt_forged'))).toEqual([]);
  });

  it('invoice.paid naming a Steward invoice records its payment once', async () => {
    const period = '2026-03';
    const invoiceId = invoiceIdFor(org, period);
    const content = {
      creditsPerUsd: '100',
      lines: [{ kind: 'plan_fee' as const, description: 'Standard plan', amountUsd: '49', amountCredits: '4900' }],
      totals: { subtotalUsd: '49', subtotalCredits: '4900', creditsApplied: '0', creditsAppliedUsd: '0', totalDueUsd: '49.00', totalDueCredits: '4900' },
      creditsAppliedThrough: 0,
    };
    const envelope = (commandId: string) => ({ commandId, type: 'X', actor: { type: 'system' as const, id: 'test' }, organizationId: org, issuedAt: '2026-04-05T00:00:00.000Z', payload: {} });
    const target = { organizationId: org, invoiceId, period };
    await invoices.execute(envelope('open'), org, period, () => ({
      type: 'OpenInvoiceDraft',
      ...target,
      timeZone: 'UTC',
      periodStart: '2026-03-01T00:00:00.000Z',
      periodEnd: '2026-04-01T00:00:00.000Z',
      graceEndsAt: '2026-04-04T00:00:00.000Z',
      ...content,
      at: '2026-04-01T00:00:00.000Z',
    }));
    await invoices.execute(envelope('issue'), org, period, () => ({ type: 'IssueInvoice', ...target, ...content, creditsAppliedFrom: 0, dueDays: 14, at: '2026-04-05T00:00:00.000Z' }));
    const payload = JSON.stringify({
      id: 'evt_invoice_paid_1',
      object: 'event',
      type: 'invoice.paid',
      data: { object: { id: 'in_test_1', object: 'invoice', customer: 'cus_steward_1', amount_paid: 4900, metadata: { organizationId: org, period, invoiceId } } },
    });
    for (let delivery = 0; delivery < 3; delivery++) await processor.handle(payload, sign(payload));
    const paid = (await store.readStream(InvoiceStreams.invoice(org, period))).filter((event) => event.type === 'InvoicePaid');
    expect(paid).toHaveLength(1);
    expect(paid[0]!.data).toMatchObject({ provider: 'stripe', reference: 'in_test_1', amountUsd: '49.00' });
  });
});
