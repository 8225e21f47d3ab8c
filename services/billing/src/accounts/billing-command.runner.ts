import { CommandRunner } from '@steward/commands';
import type { PlanCatalogue } from '@steward/billing';
import {
  BillingCommandPayloads,
  BillingErrorCode,
  billingLedgerEventRegistry,
  type BillingCommandAnswer,
  type BillingCommandPayload,
  type BillingCommandType,
  type BillingLedgerEvent,
  type CommandAnswer,
  type CommandEnvelope,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { AccountStreams } from './account-streams';
import type { BillingAuthorizer } from './billing-access';
import { billingAccountDecider, type AccountCommand, type DecisionContext } from './billing-account.decider';
import { BillingError } from './billing.error';

export interface BillingCommandRunnerOptions {
  readonly store: EventStore;
  readonly accounts: AccountStreams;
  readonly authorize: BillingAuthorizer;
  readonly catalogue: PlanCatalogue;
  /** The time zone of an account opened now (STEWARD_BILLING_TIME_ZONE, default UTC). */
  readonly defaultTimeZone: string;
  readonly maxAttempts?: number;
}

/** What an in-process caller (the consumption reactor, the period sweep) asks of an account. */
export type InternalAccountCommand = AccountCommand extends infer C ? (C extends AccountCommand ? Omit<C, 'context'> : never) : never;

/**
 * Carries out the billing account's commands with @steward/commands' runner:
 * parse, authorize, decide on the account's stream, append at its expected
 * revision with event ids derived from the command id (a resent command
 * appends nothing and answers as the first did), decide again on a conflict.
 */
export class BillingCommandRunner {
  private readonly commands: CommandRunner<BillingErrorCode>;

  /** The time zone an account opened now gets. */
  get defaultTimeZone(): string {
    return this.options.defaultTimeZone;
  }

  constructor(private readonly options: BillingCommandRunnerOptions) {
    this.commands = new CommandRunner({
      store: options.store,
      registry: billingLedgerEventRegistry,
      errors: BillingError,
      codes: BillingErrorCode,
      maxAttempts: options.maxAttempts ?? 8,
    });
  }

  /** For NATS handlers: refusals become RpcExceptions carrying a BillingErrorBody. */
  run(type: BillingCommandType, raw: unknown): Promise<BillingCommandAnswer> {
    return this.commands.handle(type, raw, (envelope) => this.execute(type, envelope));
  }

  async execute(type: BillingCommandType, envelope: CommandEnvelope): Promise<BillingCommandAnswer> {
    const payload = this.commands.parsePayload(type, BillingCommandPayloads[type], envelope) as BillingCommandPayload<BillingCommandType>;
    const { organizationId } = payload;
    await this.options.authorize(envelope, organizationId, 'billing.write');
    const { organizationId: _organizationId, ...rest } = payload as BillingCommandPayload<BillingCommandType> & Record<string, unknown>;
    return this.decideOn(organizationId, envelope, { type, ...rest } as InternalAccountCommand);
  }

  /** A command of Steward's own (no authorization: the caller is this service). */
  decideOn(organizationId: string, envelope: CommandEnvelope, body: InternalAccountCommand): Promise<CommandAnswer> {
    const context = this.contextOf(organizationId, envelope.actor.id, envelope.issuedAt);
    return this.commands.commit(envelope, {
      load: () => this.options.accounts.load(organizationId),
      streams: (loaded) => [loaded],
      decide: (loaded) => billingAccountDecider.decide({ ...body, context } as AccountCommand, loaded.state),
      scopeOf: () => ({ organizationId }),
    });
  }

  contextOf(organizationId: string, actorId: string, at: string): DecisionContext {
    return { organizationId, actorId, at, catalogue: this.options.catalogue, defaultTimeZone: this.options.defaultTimeZone };
  }

  /** The event types an answer appended: for tests and logs. */
  static typesOf(answer: CommandAnswer): BillingLedgerEvent['type'][] {
    return answer.events.map((event) => event.type as BillingLedgerEvent['type']);
  }
}

export { BillingError };
