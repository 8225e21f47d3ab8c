import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InvoiceErrorCode, MAX_JSON_DEPTH, MAX_JSON_NODES, RecordInvoicePaymentPayload, VoidInvoicePayload, jsonProblem } from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { InvoiceReadRepository, renderInvoicePdf } from '@steward/billing';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import type { WriteSettler } from '../../read-your-writes';
import { callerOf as defaultCallerOf, type Caller } from '../caller';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery } from '../route-params';
import { InvoiceCommandError, InvoiceCommandSender } from './invoice-command.sender';
import { InvoicePageSchema, InvoiceViewSchema, ProviderSessionSchema, StripeWebhookReceiptSchema } from './invoice-views.schema';

export interface InvoiceRoutesDeps {
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  readonly readYourWrites: WriteSettler;
  /** Over the database holding the read models (invoices). */
  readonly db: Kysely<unknown>;
  readonly callerOf?: (principal: Principal) => Caller;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const InvoicePath = z.strictObject({ orgId: PathId, id: PathId });
const PaymentBody = z.strictObject({ amountUsd: RecordInvoicePaymentPayload.shape.amountUsd, reference: RecordInvoicePaymentPayload.shape.reference });
const VoidBody = z.strictObject({ reason: VoidInvoicePayload.shape.reason });
const PortalBody = z.strictObject({ returnUrl: z.url().max(2000).optional() });
/** A Stripe event as the webhook documents it; the route reads the raw bytes (the signature covers them). */
const StripeEventDoc = z.object({ id: z.string().min(1).max(200), type: z.string().min(1).max(200), data: z.object({ object: z.record(z.string(), z.unknown()) }) });
const STRIPE_SIGNATURE = 'stripe-signature';

/**
 * Invoices (Billing and Usage: past invoices, PDF download), a payment recorded by an admin (the manual
 * provider), the customer portal ("Manage Subscription") and Stripe's webhook. Another organization's invoice
 * is a 404.
 */
export function invoiceRoutes(deps: InvoiceRoutesDeps): AnyRoute[] {
  const reads = new InvoiceReadRepository({ db: deps.db });
  const sender = new InvoiceCommandSender({ commands: deps.commands, natsPrefix: deps.natsPrefix, readYourWrites: deps.readYourWrites, ...(deps.commandTimeoutMs ? { timeoutMs: deps.commandTimeoutMs } : {}) });
  const caller = (principal: Principal | undefined): Caller => {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token or an API key');
    return (deps.callerOf ?? defaultCallerOf)(principal);
  };
  const issuedAt = () => (deps.now?.() ?? new Date()).toISOString();
  const invoiceOf = async (organizationId: string, id: string) => {
    const invoice = await reads.get(organizationId, id);
    if (!invoice) throw new GatewayError(GatewayErrorCode.NotFound, 'no such invoice');
    return invoice;
  };

  return [
    defineRoute({
      operationId: 'listInvoices',
      method: 'GET',
      path: '/v1/organizations/{orgId}/billing/invoices',
      summary: 'The organization’s invoices, newest period first: drafts during their grace period, then issued, paid or void',
      tags: ['billing'],
      permission: 'billing.read',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      query: z.strictObject({ status: z.enum(['draft', 'issued', 'paid', 'void']).optional(), ...pageQuery }),
      responses: { 200: InvoicePageSchema },
      handler: async ({ params, query }) => ({ status: 200, body: await reads.list(params.orgId, query) }),
    }),
    defineRoute({
      operationId: 'getInvoice',
      method: 'GET',
      path: '/v1/organizations/{orgId}/billing/invoices/{id}',
      summary: 'One invoice with its lines: plan fee, prorations, usage per workspace × provider × model, adjustments, credits applied',
      tags: ['billing'],
      permission: 'billing.read',
      scope: 'organization',
      params: InvoicePath,
      responses: { 200: InvoiceViewSchema },
      handler: async ({ params }) => ({ status: 200, body: await invoiceOf(params.orgId, params.id) }),
    }),
    defineRoute({
      operationId: 'getInvoicePdf',
      method: 'GET',
      path: '/v1/organizations/{orgId}/billing/invoices/{id}/pdf',
      summary: 'The invoice as a PDF',
      tags: ['billing'],
      permission: 'billing.read',
      scope: 'organization',
      params: InvoicePath,
      responses: { 200: null },
      openApi: { responseContent: { 200: { mediaType: 'application/pdf', schema: { type: 'string', format: 'binary' } } } },
      handler: async ({ params }) => {
        const invoice = await invoiceOf(params.orgId, params.id);
        const pdf = await renderInvoicePdf(invoice);
        async function* bytes(): AsyncGenerator<Uint8Array> {
          yield pdf;
        }
        return {
          status: 200,
          headers: {
            'content-type': 'application/pdf',
            'content-disposition': `attachment; filename="invoice-${invoice.number ?? `draft-${invoice.period}`}.pdf"`,
            'cache-control': 'no-store',
          },
          stream: bytes(),
        };
      },
    }),
    defineRoute({
      operationId: 'recordInvoicePayment',
      method: 'POST',
      path: '/v1/organizations/{orgId}/billing/invoices/{id}/payments',
      summary: 'Record a payment received outside Steward (the manual provider): the invoice becomes paid',
      description: 'The amount must be the invoice’s total due in USD. A draft is not payable (409); the same reference again changes nothing.',
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: InvoicePath,
      body: PaymentBody,
      responses: { 201: InvoiceViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const invoice = await invoiceOf(params.orgId, params.id);
        await sender.send(
          'RecordInvoicePayment',
          { organizationId: params.orgId, invoiceId: invoice.id, period: invoice.period, amountUsd: body.amountUsd, reference: body.reference },
          { commandId: commandIdFor(principal, idempotencyKey), caller: caller(principal), organizationId: params.orgId, requestId, issuedAt: issuedAt() },
        );
        return { status: 201, body: await invoiceOf(params.orgId, params.id) };
      },
    }),
    defineRoute({
      operationId: 'voidInvoice',
      method: 'POST',
      path: '/v1/organizations/{orgId}/billing/invoices/{id}/void',
      summary: 'Void an issued, unpaid invoice: it no longer asks for payment (InvoiceVoided)',
      description:
        'The reason is recorded with who voided it. No credit comes back: the credits the invoice applied paid for usage that happened. A paid invoice (refund it instead), a draft and an invoice already void answer 409.',
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: InvoicePath,
      body: VoidBody,
      responses: { 200: InvoiceViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const invoice = await invoiceOf(params.orgId, params.id);
        await sender.send(
          'VoidInvoice',
          { organizationId: params.orgId, invoiceId: invoice.id, period: invoice.period, reason: body.reason },
          { commandId: commandIdFor(principal, idempotencyKey), caller: caller(principal), organizationId: params.orgId, requestId, issuedAt: issuedAt() },
        );
        return { status: 200, body: await invoiceOf(params.orgId, params.id) };
      },
    }),
    defineRoute({
      operationId: 'createBillingPortalSession',
      method: 'POST',
      path: '/v1/organizations/{orgId}/billing/portal-session',
      summary: '"Manage Subscription": a Stripe customer-portal link for the organization',
      description: 'Needs Stripe (409 with the manual provider) and a Stripe customer, made by a first Add Credits checkout (404 before).',
      tags: ['billing'],
      permission: 'billing.write',
      scope: 'organization',
      params: z.strictObject({ orgId: PathId }),
      body: PortalBody,
      responses: { 201: ProviderSessionSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const answer = await sender.send(
          'CreatePortalSession',
          { organizationId: params.orgId, ...(body.returnUrl ? { returnUrl: body.returnUrl } : {}) },
          { commandId: commandIdFor(principal, idempotencyKey), caller: caller(principal), organizationId: params.orgId, requestId, issuedAt: issuedAt() },
        );
        return { status: 201, body: { provider: answer.provider, url: answer.url } };
      },
    }),
    defineRoute({
      operationId: 'receiveStripeWebhook',
      method: 'POST',
      path: '/v1/billing/providers/stripe/webhook',
      summary: 'Stripe’s webhook: checkout.session.completed grants the credits bought, invoice.paid settles the invoice',
      description:
        'Verified with the Stripe-Signature header (a bad signature is a 400 and changes nothing); each Stripe event is applied once however often it is delivered, by its Stripe event id. Stripe sends no Idempotency-Key: the header is ignored here.',
      tags: ['billing'],
      permission: null,
      scope: 'none',
      // Stripe retries a delivery with the same event id and no key: the service deduplicates by that id
      idempotencyKey: 'ignored',
      rawBody: { content: { 'application/json': StripeEventDoc } },
      headers: [{ name: 'Stripe-Signature', description: 'Stripe’s signature of the raw body (required)' }],
      responses: { 200: StripeWebhookReceiptSchema },
      handler: async ({ body, rawText, headers, requestId }) => {
        // what no store could hold is refused before the signature is even looked at
        const unstorable = jsonProblem(body, { maxDepth: MAX_JSON_DEPTH, maxNodes: MAX_JSON_NODES });
        if (unstorable) {
          const field = ['body', ...unstorable.path].join('.');
          throw new GatewayError(GatewayErrorCode.Validation, `not a Stripe event: ${field} ${unstorable.message}`, { errors: [{ field, message: unstorable.message }] });
        }
        const shape = StripeEventDoc.safeParse(body);
        if (!shape.success) {
          const errors = shape.error.issues.map((issue) => ({ field: ['body', ...issue.path].join('.'), message: issue.message }));
          throw new GatewayError(GatewayErrorCode.Validation, `not a Stripe event: ${errors.map((error) => error.field).join(', ')}`, { errors });
        }
        const signature = headers[STRIPE_SIGNATURE];
        const refused = () =>
          new GatewayError(GatewayErrorCode.Validation, 'the Stripe-Signature header does not verify this payload', {
            errors: [{ field: 'header.Stripe-Signature', message: 'does not verify' }],
          });
        if (typeof signature !== 'string' || signature === '' || rawText === undefined) throw refused();
        try {
          const answer = await sender.send(
            'HandleStripeWebhook',
            { payload: rawText, signature },
            // the provider's event: a command per delivery, its effects keyed by Stripe's ids in the service
            { commandId: `stripe-webhook-${requestId}`, caller: { actor: { type: 'system', id: 'stripe-webhook' }, userId: undefined, email: undefined, organizationId: undefined }, requestId, issuedAt: issuedAt() },
          );
          return { status: 200, body: { received: true, duplicate: answer.duplicate } };
        } catch (error) {
          if (error instanceof InvoiceCommandError && error.code === InvoiceErrorCode.BadSignature) throw refused();
          throw error;
        }
      },
    }),
  ];
}
