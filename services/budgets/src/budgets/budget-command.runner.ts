import { CommandRunner } from '@steward/commands';
import {
  BudgetCommandPayloads,
  BudgetErrorCode,
  BudgetStreams,
  budgetEventRegistry,
  type BudgetCommandAnswer,
  type BudgetCommandPayload,
  type BudgetCommandType,
  type BudgetEvent,
  type CommandEnvelope,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { BudgetAuthorizer } from './budget-access';
import { budgetDecider, type BudgetCommand, type DecisionContext } from './budget.decider';
import { BudgetError } from './budget.error';

export interface BudgetCommandRunnerOptions {
  readonly store: EventStore;
  readonly authorize: BudgetAuthorizer;
  readonly maxAttempts?: number;
}

/**
 * Carries out the budgets context's commands with @steward/commands' runner:
 * parse, authorize (the team's own events), decide on the budget's stream,
 * append at its expected revision with event ids derived from the command id.
 */
export class BudgetCommandRunner {
  private readonly commands: CommandRunner<BudgetErrorCode>;

  constructor(private readonly options: BudgetCommandRunnerOptions) {
    this.commands = new CommandRunner({ store: options.store, registry: budgetEventRegistry, errors: BudgetError, codes: BudgetErrorCode, maxAttempts: options.maxAttempts ?? 8 });
  }

  /** For NATS handlers: refusals become RpcExceptions carrying a BudgetErrorBody. */
  run(type: BudgetCommandType, raw: unknown): Promise<BudgetCommandAnswer> {
    return this.commands.handle(type, raw, (envelope) => this.execute(type, envelope));
  }

  async execute(type: BudgetCommandType, envelope: CommandEnvelope): Promise<BudgetCommandAnswer> {
    const payload = this.commands.parsePayload(type, BudgetCommandPayloads[type], envelope) as BudgetCommandPayload<BudgetCommandType>;
    const organizationId = await this.options.authorize(envelope, payload.workspaceId);
    const context: DecisionContext = { organizationId, workspaceId: payload.workspaceId, actorId: envelope.actor.id, at: envelope.issuedAt };
    const command = commandOf(type, payload, context);
    return this.commands.commit(envelope, {
      load: () => this.commands.load(BudgetStreams.budget(payload.budgetId), budgetDecider),
      streams: (loaded) => [loaded],
      decide: (loaded) => budgetDecider.decide(command, loaded.state),
      scopeOf: () => ({ organizationId, workspaceId: payload.workspaceId }),
    });
  }
}

function commandOf(type: BudgetCommandType, payload: BudgetCommandPayload<BudgetCommandType>, context: DecisionContext): BudgetCommand {
  switch (type) {
    case 'DefineBudget': {
      const { workspaceId: _w, budgetId, ...definition } = payload as BudgetCommandPayload<'DefineBudget'>;
      return { type, budgetId, definition, context };
    }
    case 'ChangeBudget': {
      const { workspaceId: _w, budgetId, ...change } = payload as BudgetCommandPayload<'ChangeBudget'>;
      return { type, budgetId, change, context };
    }
    case 'RemoveBudget':
      return { type, budgetId: payload.budgetId, context };
    default: {
      const _exhaustive: never = type;
      throw new Error(`unknown command ${String(_exhaustive)}`);
    }
  }
}

export type { BudgetEvent };
