import { CommandRunner, type LoadedStream } from '@steward/commands';
import { InvoiceStreams, invoiceEventRegistry, type CommandAnswer, type CommandEnvelope, type InvoiceEvent } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import { invoiceDecider, type InvoiceCommand, type InvoiceState } from './invoice.decider';
import { InvoiceError, InvoiceErrorCode } from './invoice.error';

export interface LoadedInvoice {
  readonly invoice: LoadedStream<InvoiceState>;
  readonly numbering: LoadedStream<InvoiceState>;
  /** The two folds combined: the decision's state. */
  readonly state: InvoiceState;
}

/**
 * Carries out invoice commands with @steward/commands' runner on two streams:
 * the period's invoice stream and the organization's numbering stream. Issuing
 * appends the number and the invoice in one atomic unit at both streams'
 * expected revisions, so two replicas issuing at once give one invoice and one
 * number (the loser decides again on the fresh state: nothing to do).
 */
export class InvoiceCommandRunner {
  readonly commands: CommandRunner<InvoiceErrorCode>;

  constructor(options: { readonly store: EventStore; readonly maxAttempts?: number }) {
    this.commands = new CommandRunner({ store: options.store, registry: invoiceEventRegistry, errors: InvoiceError, codes: InvoiceErrorCode, maxAttempts: options.maxAttempts ?? 8 });
  }

  async load(organizationId: string, period: string): Promise<LoadedInvoice> {
    const [invoice, numbering] = await Promise.all([
      this.commands.load(InvoiceStreams.invoice(organizationId, period), invoiceDecider),
      this.commands.load(InvoiceStreams.numbering(organizationId), invoiceDecider),
    ]);
    return { invoice, numbering, state: { invoice: invoice.state.invoice, numbering: numbering.state.numbering } };
  }

  /** Decides `command` (built from the loaded state on every attempt) and appends its events. */
  execute(envelope: CommandEnvelope, organizationId: string, period: string, command: (loaded: LoadedInvoice) => InvoiceCommand, preloaded?: LoadedInvoice): Promise<CommandAnswer> {
    // the first attempt may decide on streams the caller has just read; a conflict reloads them
    let first = preloaded;
    return this.commands.commit(envelope, {
      load: () => {
        const loaded = first;
        first = undefined;
        return loaded ? Promise.resolve(loaded) : this.load(organizationId, period);
      },
      streams: (loaded) => [loaded.invoice, loaded.numbering],
      decide: (loaded) => invoiceDecider.decide(command(loaded), loaded.state),
      streamOf: (event: InvoiceEvent) => (event.type === 'InvoiceNumberAssigned' ? InvoiceStreams.numbering(organizationId) : InvoiceStreams.invoice(organizationId, period)),
      scopeOf: () => ({ organizationId }),
    });
  }
}
