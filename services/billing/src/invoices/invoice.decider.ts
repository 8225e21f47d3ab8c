import type { Decider } from '@steward/commands';
import { InvoiceErrorCode, type InvoiceEvent, type InvoiceLine, type InvoiceTotals, type PaymentProviderId } from '@steward/contracts';
import Decimal from 'decimal.js';
import { InvoiceError } from './invoice.error';

/** What an invoice says at a moment: lines, totals, the ledger range its credits came from. */
export interface InvoiceContent {
  readonly creditsPerUsd: string;
  readonly lines: readonly InvoiceLine[];
  readonly totals: InvoiceTotals;
  readonly creditsAppliedThrough: number;
}

export type InvoiceStatus = 'draft' | 'issued' | 'paid' | 'void';

export interface InvoiceRecord extends InvoiceContent {
  readonly organizationId: string;
  readonly invoiceId: string;
  readonly period: string;
  readonly timeZone: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly graceEndsAt: string;
  readonly status: InvoiceStatus;
  readonly number: string | null;
  /** The reference of the payment that settled it. */
  readonly paidReference: string | null;
}

/** The organization's numbering stream folded: the last number given and the ledger cursor of credits applied. */
export interface InvoiceNumbering {
  readonly lastSequence: number;
  readonly lastIssuedPeriod: string | null;
  readonly creditsAppliedThrough: number;
}

/**
 * The invoice decision reads two streams: the period's invoice stream and the organization's
 * numbering stream. Their events are disjoint, so one evolve folds either; the runner
 * combines the two folded states.
 */
export interface InvoiceState {
  readonly invoice: InvoiceRecord | undefined;
  readonly numbering: InvoiceNumbering;
}

export const initialInvoiceState: InvoiceState = { invoice: undefined, numbering: { lastSequence: 0, lastIssuedPeriod: null, creditsAppliedThrough: 0 } };

interface PeriodTarget {
  readonly organizationId: string;
  readonly invoiceId: string;
  readonly period: string;
}

export type InvoiceCommand =
  | (PeriodTarget &
      InvoiceContent & {
        readonly type: 'OpenInvoiceDraft';
        readonly timeZone: string;
        readonly periodStart: string;
        readonly periodEnd: string;
        readonly graceEndsAt: string;
        readonly at: string;
      })
  | (PeriodTarget & InvoiceContent & { readonly type: 'RefreshInvoiceDraft'; readonly at: string })
  | (PeriodTarget &
      InvoiceContent & {
        readonly type: 'IssueInvoice';
        /** The ledger cursor the credits applied start after: must be where the previous invoice stopped. */
        readonly creditsAppliedFrom: number;
        readonly dueDays: number;
        readonly at: string;
      })
  | (PeriodTarget & {
      readonly type: 'RecordInvoicePayment';
      readonly provider: PaymentProviderId;
      readonly reference: string;
      readonly amountUsd: string;
      readonly recordedBy: string;
      readonly at: string;
    })
  | (PeriodTarget & {
      readonly type: 'RecordInvoicePaymentFailure';
      readonly provider: PaymentProviderId;
      readonly reference: string;
      readonly reason: string;
      readonly recordedBy: string;
      readonly at: string;
    })
  | (PeriodTarget & { readonly type: 'VoidInvoice'; readonly reason: string; readonly voidedBy: string; readonly at: string });

/** `INV-<organization number part>-000042`: the organization's sequence, zero-padded so numbers sort. */
export function invoiceNumber(organizationId: string, sequence: number): string {
  const tail = organizationId.replace(/^[a-z]+_/, '').slice(-6).toUpperCase();
  return `INV-${tail}-${String(sequence).padStart(6, '0')}`;
}

function evolve(state: InvoiceState, event: InvoiceEvent): InvoiceState {
  switch (event.type) {
    case 'InvoiceDraftOpened': {
      const d = event.data;
      return {
        ...state,
        invoice: {
          organizationId: d.organizationId,
          invoiceId: d.invoiceId,
          period: d.period,
          timeZone: d.timeZone,
          periodStart: d.periodStart,
          periodEnd: d.periodEnd,
          graceEndsAt: d.graceEndsAt,
          creditsPerUsd: d.creditsPerUsd,
          lines: d.lines,
          totals: d.totals,
          creditsAppliedThrough: d.creditsAppliedThrough,
          status: 'draft',
          number: null,
          paidReference: null,
        },
      };
    }
    case 'InvoiceDraftRefreshed':
    case 'InvoiceIssued': {
      if (!state.invoice) return state;
      const d = event.data;
      const content = { creditsPerUsd: d.creditsPerUsd, lines: d.lines, totals: d.totals, creditsAppliedThrough: d.creditsAppliedThrough };
      if (event.type === 'InvoiceDraftRefreshed') return { ...state, invoice: { ...state.invoice, ...content } };
      return { ...state, invoice: { ...state.invoice, ...content, status: 'issued', number: event.data.number } };
    }
    case 'InvoiceNumberAssigned':
      return {
        ...state,
        numbering: {
          lastSequence: Math.max(state.numbering.lastSequence, event.data.sequence),
          lastIssuedPeriod: event.data.period,
          creditsAppliedThrough: Math.max(state.numbering.creditsAppliedThrough, event.data.creditsAppliedThrough),
        },
      };
    case 'InvoicePaid':
      return state.invoice ? { ...state, invoice: { ...state.invoice, status: 'paid', paidReference: event.data.reference } } : state;
    case 'InvoicePaymentFailed':
      return state;
    case 'InvoiceVoided':
      return state.invoice ? { ...state, invoice: { ...state.invoice, status: 'void' } } : state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

const sameContent = (a: InvoiceContent, b: InvoiceContent): boolean =>
  a.creditsPerUsd === b.creditsPerUsd &&
  a.creditsAppliedThrough === b.creditsAppliedThrough &&
  JSON.stringify(a.totals) === JSON.stringify(b.totals) &&
  JSON.stringify(a.lines) === JSON.stringify(b.lines);

const contentOf = (command: InvoiceContent): InvoiceContent & { lines: InvoiceLine[] } => ({
  creditsPerUsd: command.creditsPerUsd,
  lines: [...command.lines],
  totals: command.totals,
  creditsAppliedThrough: command.creditsAppliedThrough,
});

function existing(state: InvoiceState, command: PeriodTarget): InvoiceRecord {
  const invoice = state.invoice;
  if (!invoice || invoice.organizationId !== command.organizationId) throw new InvoiceError(InvoiceErrorCode.NotFound, `no invoice for ${command.period}`);
  return invoice;
}

function issued(state: InvoiceState, command: PeriodTarget): InvoiceRecord {
  const invoice = existing(state, command);
  if (invoice.status === 'draft') throw new InvoiceError(InvoiceErrorCode.NotIssued, `the invoice of ${invoice.period} is a draft until it is issued`);
  return invoice;
}

function decide(command: InvoiceCommand, state: InvoiceState): InvoiceEvent[] {
  const target = { organizationId: command.organizationId, invoiceId: command.invoiceId, period: command.period };
  switch (command.type) {
    case 'OpenInvoiceDraft': {
      // one invoice per organization and period: a second open (another replica, a retried job, another zone's view of the same month) changes nothing
      if (state.invoice) return [];
      if (Date.parse(command.at) < Date.parse(command.periodEnd)) {
        throw new InvoiceError(InvoiceErrorCode.PeriodNotEnded, `${command.period} in ${command.timeZone} ends at ${command.periodEnd}`);
      }
      return [
        {
          type: 'InvoiceDraftOpened',
          data: {
            ...target,
            timeZone: command.timeZone,
            periodStart: command.periodStart,
            periodEnd: command.periodEnd,
            graceEndsAt: command.graceEndsAt,
            ...contentOf(command),
            openedAt: command.at,
          },
        },
      ];
    }
    case 'RefreshInvoiceDraft': {
      const invoice = existing(state, command);
      // an issued invoice never changes: what came late goes on the next one as an adjustment
      if (invoice.status !== 'draft') return [];
      if (Date.parse(command.at) >= Date.parse(invoice.graceEndsAt)) return [];
      if (sameContent(invoice, command)) return [];
      return [{ type: 'InvoiceDraftRefreshed', data: { ...target, ...contentOf(command), refreshedAt: command.at } }];
    }
    case 'IssueInvoice': {
      const invoice = existing(state, command);
      if (invoice.status !== 'draft') return [];
      if (Date.parse(command.at) < Date.parse(invoice.graceEndsAt)) {
        throw new InvoiceError(InvoiceErrorCode.GraceNotOver, `the draft of ${invoice.period} takes late usage until ${invoice.graceEndsAt}`);
      }
      const { numbering } = state;
      if (numbering.lastIssuedPeriod !== null && numbering.lastIssuedPeriod >= invoice.period) {
        throw new InvoiceError(InvoiceErrorCode.OutOfOrder, `${numbering.lastIssuedPeriod} is issued already; ${invoice.period} cannot come after it`);
      }
      // every ledger entry is applied on exactly one invoice: the range starts where the last one stopped
      if (command.creditsAppliedFrom !== numbering.creditsAppliedThrough || command.creditsAppliedThrough < command.creditsAppliedFrom) {
        throw new InvoiceError(
          InvoiceErrorCode.CreditsRangeMismatch,
          `credits were applied through ledger entry ${numbering.creditsAppliedThrough}; this invoice starts after ${command.creditsAppliedFrom}`,
        );
      }
      const sequence = numbering.lastSequence + 1;
      const number = invoiceNumber(invoice.organizationId, sequence);
      const dueAt = new Date(Date.parse(command.at) + command.dueDays * 86_400_000).toISOString();
      return [
        { type: 'InvoiceNumberAssigned', data: { ...target, sequence, number, creditsAppliedThrough: command.creditsAppliedThrough } },
        {
          type: 'InvoiceIssued',
          data: {
            ...target,
            number,
            sequence,
            timeZone: invoice.timeZone,
            periodStart: invoice.periodStart,
            periodEnd: invoice.periodEnd,
            ...contentOf(command),
            issuedAt: command.at,
            dueAt,
          },
        },
      ];
    }
    case 'RecordInvoicePayment': {
      const invoice = issued(state, command);
      if (invoice.status === 'void') throw new InvoiceError(InvoiceErrorCode.Voided, `${invoice.number} is void`);
      if (invoice.status === 'paid') {
        if (invoice.paidReference === command.reference) return [];
        throw new InvoiceError(InvoiceErrorCode.AlreadyPaid, `${invoice.number} is paid already`);
      }
      if (!new Decimal(command.amountUsd).equals(invoice.totals.totalDueUsd)) {
        throw new InvoiceError(InvoiceErrorCode.AmountMismatch, `${invoice.number} is due ${invoice.totals.totalDueUsd} USD`, 'amountUsd');
      }
      return [
        {
          type: 'InvoicePaid',
          data: { ...target, provider: command.provider, reference: command.reference, recordedBy: command.recordedBy, amountUsd: command.amountUsd, paidAt: command.at },
        },
      ];
    }
    case 'RecordInvoicePaymentFailure': {
      const invoice = issued(state, command);
      if (invoice.status !== 'issued') return [];
      return [
        {
          type: 'InvoicePaymentFailed',
          data: { ...target, provider: command.provider, reference: command.reference, recordedBy: command.recordedBy, reason: command.reason, failedAt: command.at },
        },
      ];
    }
    case 'VoidInvoice': {
      const invoice = issued(state, command);
      // a resent command is answered by the runner's replay before it gets here: another void of a void invoice is refused
      if (invoice.status === 'void') throw new InvoiceError(InvoiceErrorCode.Voided, `${invoice.number} is void already`);
      if (invoice.status === 'paid') throw new InvoiceError(InvoiceErrorCode.AlreadyPaid, `${invoice.number} is paid: refund it instead`);
      // only the invoice changes: the credits it applied were consumed by usage that happened, and stay consumed
      return [{ type: 'InvoiceVoided', data: { ...target, reason: command.reason, voidedBy: command.voidedBy, voidedAt: command.at } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new InvoiceError(InvoiceErrorCode.InvalidCommand, 'unknown invoice command');
    }
  }
}

export const invoiceDecider: Decider<InvoiceCommand, InvoiceState, InvoiceEvent> = { decide, evolve, initialState: initialInvoiceState };
