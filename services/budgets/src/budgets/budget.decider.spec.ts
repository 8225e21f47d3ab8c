import type { BudgetDefinition, BudgetEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { budgetDecider, type BudgetCommand, type DecisionContext } from './budget.decider';
import { BudgetError, BudgetErrorCode } from './budget.error';

const context: DecisionContext = { organizationId: 'org_1', workspaceId: 'ws_1', actorId: 'usr_owner', at: '2026-12-07T10:00:00.000Z' };
const ids = { organizationId: 'org_1', workspaceId: 'ws_1', budgetId: 'bdg_1' };
const definition: BudgetDefinition = {
  name: 'Team daily',
  scope: { agent: 'researcher' },
  period: 'daily',
  timeZone: 'Asia/Kolkata',
  limitUsd: '25.50',
  thresholds: [50, 80, 100],
  enforcement: 'block',
};

const { given } = deciderSpec(budgetDecider);

const define = (overrides: Partial<BudgetDefinition> = {}, at: DecisionContext = context): BudgetCommand => ({ type: 'DefineBudget', budgetId: 'bdg_1', definition: { ...definition, ...overrides }, context: at });
const defined: BudgetEvent = { type: 'BudgetDefined', data: { ...ids, ...definition, definedBy: 'usr_owner', definedAt: context.at } };

describe('budget decider', () => {
  it('defines a budget, thresholds in ascending order', () => {
    given([]).when(define({ thresholds: [100, 50, 80] })).then([defined]);
  });

  it('answers the same definition again with nothing, another one on the same id with a refusal', () => {
    given([defined]).when(define()).thenNothingHappened();
    given([defined]).when(define({ limitUsd: '30' })).thenThrows(BudgetError, { code: BudgetErrorCode.AlreadyDefined });
  });

  it('changes only the fields given and records the whole definition after the change', () => {
    given([defined])
      .when({ type: 'ChangeBudget', budgetId: 'bdg_1', change: { limitUsd: '40', enforcement: 'notify', name: undefined }, context })
      .then([{ type: 'BudgetChanged', data: { ...ids, ...definition, limitUsd: '40', enforcement: 'notify', changedBy: 'usr_owner', changedAt: context.at } }]);
  });

  it('changes nothing when the change is what is there', () => {
    given([defined]).when({ type: 'ChangeBudget', budgetId: 'bdg_1', change: { limitUsd: '25.50' }, context }).thenNothingHappened();
  });

  it('removes a budget once; a removed budget cannot be changed or removed again', () => {
    const removed: BudgetEvent = { type: 'BudgetRemoved', data: { ...ids, removedBy: 'usr_owner', removedAt: context.at } };
    given([defined]).when({ type: 'RemoveBudget', budgetId: 'bdg_1', context }).then([removed]);
    given([defined, removed]).when({ type: 'RemoveBudget', budgetId: 'bdg_1', context }).thenThrows(BudgetError, { code: BudgetErrorCode.NotFound });
    given([defined, removed]).when({ type: 'ChangeBudget', budgetId: 'bdg_1', change: { limitUsd: '1' }, context }).thenThrows(BudgetError, { code: BudgetErrorCode.NotFound });
    given([defined, removed]).when(define()).thenThrows(BudgetError, { code: BudgetErrorCode.AlreadyDefined });
  });

  it("treats another workspace's budget as absent", () => {
    const elsewhere = { ...context, workspaceId: 'ws_2' };
    given([defined]).when({ type: 'ChangeBudget', budgetId: 'bdg_1', change: { limitUsd: '1' }, context: elsewhere }).thenThrows(BudgetError, { code: BudgetErrorCode.NotFound });
    given([defined]).when({ type: 'RemoveBudget', budgetId: 'bdg_1', context: elsewhere }).thenThrows(BudgetError, { code: BudgetErrorCode.NotFound });
    given([]).when({ type: 'RemoveBudget', budgetId: 'bdg_1', context }).thenThrows(BudgetError, { code: BudgetErrorCode.NotFound });
  });
});
