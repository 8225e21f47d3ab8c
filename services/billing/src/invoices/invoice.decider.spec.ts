import type { InvoiceEvent, InvoiceLine, InvoiceTotals } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { billingPeriod, graceEndOf } from './billing-period';
import { invoiceDecider, invoiceNumber, type InvoiceCommand } from './invoice.decider';
import { InvoiceError, InvoiceErrorCode } from './invoice.error';

const { given } = deciderSpec(invoiceDecider);

const org = 'org_01jf8x2k5b7c9d0e1f2g3h4j5k';
const march = billingPeriod('2026-03', 'America/Los_Angeles');
const target = (period = '2026-03') => ({ organizationId: org, invoiceId: `invc_${period}`, period });
const iso = (ms: number) => new Date(ms).toISOString();
const graceEndsAt = iso(graceEndOf(march, 3));

const usageLine: InvoiceLine = {
  kind: 'usage',
  description: 'openai gpt-4o',
  workspaceId: 'ws_1',
  provider: 'openai',
  model: 'gpt-4o',
  priceKey: '0.0000025|0.0000025|0.0000025|0.00001|0.00001',
  calls: '3',
  items: [{ tokenType: 'input', quantity: '1000', unitPriceUsd: '0.0000025', amountUsd: '0.0025' }],
  amountUsd: '0.0025',
  amountCredits: '0.25',
};
const totals = (usd: string, credits: string): InvoiceTotals => ({
  subtotalUsd: usd,
  subtotalCredits: credits,
  creditsApplied: '0',
  creditsAppliedUsd: '0',
  totalDueUsd: usd,
  totalDueCredits: credits,
});
const content = { creditsPerUsd: '100', lines: [usageLine], totals: totals('0.0025', '0.25'), creditsAppliedThrough: 0 };

const open = (at = iso(march.end)): InvoiceCommand => ({
  type: 'OpenInvoiceDraft',
  ...target(),
  timeZone: march.timeZone,
  periodStart: iso(march.start),
  periodEnd: iso(march.end),
  graceEndsAt,
  ...content,
  at,
});

const opened: InvoiceEvent = {
  type: 'InvoiceDraftOpened',
  data: { ...target(), timeZone: march.timeZone, periodStart: iso(march.start), periodEnd: iso(march.end), graceEndsAt, ...content, openedAt: iso(march.end) },
};

const issue = (over: Partial<Extract<InvoiceCommand, { type: 'IssueInvoice' }>> = {}): InvoiceCommand => ({
  type: 'IssueInvoice',
  ...target(),
  ...content,
  creditsAppliedFrom: 0,
  dueDays: 14,
  at: graceEndsAt,
  ...over,
});

describe('invoice decider', () => {
  it('opens the draft of a period once it has ended in the billing time zone', () => {
    given([]).when(open()).then([opened]);
  });

  it('refuses to open a period that has not ended yet', () => {
    given([])
      .when(open(iso(march.end - 1)))
      .thenThrows(InvoiceError, { code: InvoiceErrorCode.PeriodNotEnded });
  });

  it('a second open of the same period (another replica, a retried job, another zone’s view) changes nothing', () => {
    given([opened]).when(open(iso(march.end + 3_600_000))).thenNothingHappened();
    const other = { ...open(), timeZone: 'Pacific/Kiritimati' } as InvoiceCommand;
    given([opened]).when(other).thenNothingHappened();
  });

  it('late usage during the grace period refreshes the draft; the same lines again change nothing', () => {
    const late = { ...usageLine, calls: '4', amountUsd: '0.0035', amountCredits: '0.35' };
    const refresh: InvoiceCommand = { type: 'RefreshInvoiceDraft', ...target(), ...content, lines: [late], totals: totals('0.0035', '0.35'), at: iso(march.end + 86_400_000) };
    given([opened])
      .when(refresh)
      .then([{ type: 'InvoiceDraftRefreshed', data: { ...target(), ...content, lines: [late], totals: totals('0.0035', '0.35'), refreshedAt: iso(march.end + 86_400_000) } }]);
    given([opened])
      .when({ type: 'RefreshInvoiceDraft', ...target(), ...content, at: iso(march.end + 86_400_000) })
      .thenNothingHappened();
  });

  it('issues once the grace period is over, with the next number and in the same decision', () => {
    given([opened])
      .when(issue())
      .then([
        { type: 'InvoiceNumberAssigned', data: { ...target(), sequence: 1, number: invoiceNumber(org, 1), creditsAppliedThrough: 0 } },
        {
          type: 'InvoiceIssued',
          data: {
            ...target(),
            number: invoiceNumber(org, 1),
            sequence: 1,
            timeZone: march.timeZone,
            periodStart: iso(march.start),
            periodEnd: iso(march.end),
            ...content,
            issuedAt: graceEndsAt,
            dueAt: iso(Date.parse(graceEndsAt) + 14 * 86_400_000),
          },
        },
      ]);
  });

  it('refuses to issue during the grace period', () => {
    given([opened])
      .when(issue({ at: iso(Date.parse(graceEndsAt) - 1) }))
      .thenThrows(InvoiceError, { code: InvoiceErrorCode.GraceNotOver });
  });

  it('numbers without gaps per organization: the next issued invoice takes the next sequence', () => {
    const issuedEvents = given([opened]).when(issue()).events();
    const april = billingPeriod('2026-04', march.timeZone);
    const aprilOpened: InvoiceEvent = {
      type: 'InvoiceDraftOpened',
      data: { ...target('2026-04'), timeZone: march.timeZone, periodStart: iso(april.start), periodEnd: iso(april.end), graceEndsAt: iso(graceEndOf(april, 3)), ...content, openedAt: iso(april.end) },
    };
    // the numbering stream's events (from March) and April's stream
    given([issuedEvents[0]!, issuedEvents[1]!, aprilOpened])
      .when(issue({ ...target('2026-04'), at: iso(graceEndOf(april, 3)) }))
      .then((events) => {
        expect(events[0]).toMatchObject({ type: 'InvoiceNumberAssigned', data: { sequence: 2, number: invoiceNumber(org, 2) } });
      });
  });

  it('an issued invoice never changes: a refresh or a second issue decide nothing', () => {
    const issuedEvents = given([opened]).when(issue()).events();
    const later = { ...usageLine, calls: '9', amountUsd: '1', amountCredits: '100' };
    given([opened, ...issuedEvents])
      .when({ type: 'RefreshInvoiceDraft', ...target(), ...content, lines: [later], at: iso(march.end + 3_600_000) })
      .thenNothingHappened();
    given([opened, ...issuedEvents]).when(issue({ lines: [later] })).thenNothingHappened();
  });

  it('issues periods in order', () => {
    const april: InvoiceEvent = { type: 'InvoiceNumberAssigned', data: { ...target('2026-04'), sequence: 1, number: invoiceNumber(org, 1), creditsAppliedThrough: 0 } };
    given([april, opened]).when(issue()).thenThrows(InvoiceError, { code: InvoiceErrorCode.OutOfOrder });
  });

  it('applies every ledger entry on one invoice only (a pay-in-advance fee’s credits are never deducted twice)', () => {
    const before = given([opened]).when(issue({ creditsAppliedThrough: 7 })).events();
    const april = billingPeriod('2026-04', march.timeZone);
    const aprilOpened: InvoiceEvent = {
      type: 'InvoiceDraftOpened',
      data: { ...target('2026-04'), timeZone: march.timeZone, periodStart: iso(april.start), periodEnd: iso(april.end), graceEndsAt: iso(graceEndOf(april, 3)), ...content, openedAt: iso(april.end) },
    };
    const at = iso(graceEndOf(april, 3));
    // starting again from 0 would apply entries 1..7 a second time
    given([before[0]!, aprilOpened])
      .when(issue({ ...target('2026-04'), creditsAppliedFrom: 0, creditsAppliedThrough: 9, at }))
      .thenThrows(InvoiceError, { code: InvoiceErrorCode.CreditsRangeMismatch });
    given([before[0]!, aprilOpened])
      .when(issue({ ...target('2026-04'), creditsAppliedFrom: 7, creditsAppliedThrough: 9, at }))
      .then((events) => expect(events.map((event) => event.type)).toEqual(['InvoiceNumberAssigned', 'InvoiceIssued']));
  });

  describe('payments', () => {
    const issuedHistory = (): InvoiceEvent[] => [opened, ...given([opened]).when(issue()).events()];
    const pay = (over: Partial<Extract<InvoiceCommand, { type: 'RecordInvoicePayment' }>> = {}): InvoiceCommand => ({
      type: 'RecordInvoicePayment',
      ...target(),
      provider: 'manual',
      reference: 'wire-2026-04-05',
      amountUsd: '0.0025',
      recordedBy: 'usr_owner',
      at: '2026-04-06T00:00:00.000Z',
      ...over,
    });

    it('records a payment of the amount due; the same payment again changes nothing', () => {
      const history = issuedHistory();
      given(history)
        .when(pay())
        .then([
          {
            type: 'InvoicePaid',
            data: { ...target(), provider: 'manual', reference: 'wire-2026-04-05', recordedBy: 'usr_owner', amountUsd: '0.0025', paidAt: '2026-04-06T00:00:00.000Z' },
          },
        ]);
      const paid = [...history, ...given(history).when(pay()).events()];
      given(paid).when(pay()).thenNothingHappened();
      given(paid).when(pay({ reference: 'another' })).thenThrows(InvoiceError, { code: InvoiceErrorCode.AlreadyPaid });
    });

    it('refuses a payment of a draft or of another amount', () => {
      given([opened]).when(pay()).thenThrows(InvoiceError, { code: InvoiceErrorCode.NotIssued });
      given(issuedHistory()).when(pay({ amountUsd: '0.002' })).thenThrows(InvoiceError, { code: InvoiceErrorCode.AmountMismatch, field: 'amountUsd' });
    });

    it('a void after a failed payment voids the invoice and nothing else: no credit comes back (Lago #3703)', () => {
      const history = issuedHistory();
      const failed = given(history)
        .when({ type: 'RecordInvoicePaymentFailure', ...target(), provider: 'stripe', reference: 'in_123', reason: 'card_declined', recordedBy: 'stripe', at: '2026-04-06T00:00:00.000Z' })
        .events();
      expect(failed.map((event) => event.type)).toEqual(['InvoicePaymentFailed']);
      given([...history, ...failed])
        .when({ type: 'VoidInvoice', ...target(), reason: 'uncollectible', voidedBy: 'usr_owner', at: '2026-04-07T00:00:00.000Z' })
        .then([{ type: 'InvoiceVoided', data: { ...target(), reason: 'uncollectible', voidedBy: 'usr_owner', voidedAt: '2026-04-07T00:00:00.000Z' } }]);
    });

    it('a void invoice is not payable nor voidable again, a paid one and a draft not voidable', () => {
      const history = issuedHistory();
      const voided = [...history, ...given(history).when({ type: 'VoidInvoice', ...target(), reason: 'x', voidedBy: 'usr_owner', at: '2026-04-07T00:00:00.000Z' }).events()];
      given(voided).when(pay()).thenThrows(InvoiceError, { code: InvoiceErrorCode.Voided });
      given(voided)
        .when({ type: 'VoidInvoice', ...target(), reason: 'again', voidedBy: 'usr_other', at: '2026-04-08T00:00:00.000Z' })
        .thenThrows(InvoiceError, { code: InvoiceErrorCode.Voided });
      given([opened])
        .when({ type: 'VoidInvoice', ...target(), reason: 'x', voidedBy: 'usr_owner', at: '2026-04-07T00:00:00.000Z' })
        .thenThrows(InvoiceError, { code: InvoiceErrorCode.NotIssued });
      const paid = [...history, ...given(history).when(pay()).events()];
      given(paid)
        .when({ type: 'VoidInvoice', ...target(), reason: 'x', voidedBy: 'usr_owner', at: '2026-04-07T00:00:00.000Z' })
        .thenThrows(InvoiceError, { code: InvoiceErrorCode.AlreadyPaid });
    });
  });
});
