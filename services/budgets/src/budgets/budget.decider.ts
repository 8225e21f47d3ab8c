import type { BudgetDefinition, BudgetEvent, BudgetScope } from '@steward/contracts';
import { BudgetError, BudgetErrorCode } from './budget.error';

/** Who decides, for whom, when: given by the runner (no clock in the decider). */
export interface DecisionContext {
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly actorId: string;
  readonly at: string;
}

export type BudgetCommand =
  | { readonly type: 'DefineBudget'; readonly budgetId: string; readonly definition: BudgetDefinition; readonly context: DecisionContext }
  | {
      readonly type: 'ChangeBudget';
      readonly budgetId: string;
      readonly change: Partial<BudgetDefinition>;
      readonly context: DecisionContext;
    }
  | { readonly type: 'RemoveBudget'; readonly budgetId: string; readonly context: DecisionContext };

export type BudgetState =
  | { readonly status: 'none' }
  | { readonly status: 'defined' | 'removed'; readonly workspaceId: string; readonly organizationId: string; readonly definition: BudgetDefinition };

const sameScope = (a: BudgetScope, b: BudgetScope): boolean =>
  a.agent === b.agent && a.provider === b.provider && a.model === b.model && a.apiKeyId === b.apiKeyId;

function sameDefinition(a: BudgetDefinition, b: BudgetDefinition): boolean {
  return (
    a.name === b.name &&
    sameScope(a.scope, b.scope) &&
    a.period === b.period &&
    a.timeZone === b.timeZone &&
    a.limitUsd === b.limitUsd &&
    a.enforcement === b.enforcement &&
    a.thresholds.length === b.thresholds.length &&
    a.thresholds.every((threshold, index) => threshold === b.thresholds[index])
  );
}

/** Thresholds ascending: the order crossings are reported in, whatever order they were given in. */
const normalized = (definition: BudgetDefinition): BudgetDefinition => ({ ...definition, thresholds: [...definition.thresholds].sort((a, b) => a - b) });

function decide(command: BudgetCommand, state: BudgetState): BudgetEvent[] {
  const { context } = command;
  const ids = { organizationId: context.organizationId, workspaceId: context.workspaceId, budgetId: command.budgetId };
  // a budget of another workspace is not there (the tenant wall)
  const mine = state.status !== 'none' && state.workspaceId === context.workspaceId;
  switch (command.type) {
    case 'DefineBudget': {
      const definition = normalized(command.definition);
      if (state.status !== 'none') {
        // the same definition again (a resent request) changes nothing; another one may not take the id
        if (mine && state.status === 'defined' && sameDefinition(state.definition, definition)) return [];
        throw new BudgetError(BudgetErrorCode.AlreadyDefined, `budget ${command.budgetId} is already defined`);
      }
      return [{ type: 'BudgetDefined', data: { ...ids, ...definition, definedBy: context.actorId, definedAt: context.at } }];
    }
    case 'ChangeBudget': {
      if (!mine || state.status !== 'defined') throw new BudgetError(BudgetErrorCode.NotFound, `no budget ${command.budgetId}`);
      const changed = normalized({ ...state.definition, ...definedOnly(command.change) });
      if (sameDefinition(state.definition, changed)) return [];
      return [{ type: 'BudgetChanged', data: { ...ids, ...changed, changedBy: context.actorId, changedAt: context.at } }];
    }
    case 'RemoveBudget': {
      if (!mine || state.status !== 'defined') throw new BudgetError(BudgetErrorCode.NotFound, `no budget ${command.budgetId}`);
      return [{ type: 'BudgetRemoved', data: { ...ids, removedBy: context.actorId, removedAt: context.at } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${String((_exhaustive as { type: unknown }).type)}`);
    }
  }
}

function definedOnly(change: Partial<BudgetDefinition>): Partial<BudgetDefinition> {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) as Partial<BudgetDefinition>;
}

function evolve(state: BudgetState, event: BudgetEvent): BudgetState {
  switch (event.type) {
    case 'BudgetDefined':
    case 'BudgetChanged': {
      const { organizationId, workspaceId, name, scope, period, timeZone, limitUsd, thresholds, enforcement } = event.data;
      return { status: 'defined', organizationId, workspaceId, definition: { name, scope, period, timeZone, limitUsd, thresholds, enforcement } };
    }
    case 'BudgetRemoved':
      return state.status === 'none' ? state : { ...state, status: 'removed' };
    default:
      return state;
  }
}

/** One budget's definition: defined once, changed, removed (an id is never reused). */
export const budgetDecider = { decide, evolve, initialState: { status: 'none' } as BudgetState };
