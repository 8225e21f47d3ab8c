import { z } from 'zod';
import type { CommandAnswer, CommandErrorBody } from '../command';
import { TeamIdSchema, TimeZoneSchema } from '../team/team-fields';
import {
  BudgetEnforcementSchema,
  BudgetLimitSchema,
  BudgetNameSchema,
  BudgetPeriodKindSchema,
  BudgetScopeSchema,
  BudgetThresholdsSchema,
} from './budget-fields';
import { BudgetDefinitionSchema } from './budget-events';

/*
 * The payloads of the budgets context's commands (`<prefix>cmd.budgets.<Type>`
 * over NATS request/reply, never persisted). The budget id of a new budget is
 * chosen by the caller (derived from the command id): a resent command finds it.
 */

const target = { workspaceId: TeamIdSchema, budgetId: TeamIdSchema };

export const DefineBudgetPayload = z.object({ ...target, ...BudgetDefinitionSchema.shape }).strict();

/** Only the fields given change. */
export const ChangeBudgetPayload = z
  .object({
    ...target,
    name: BudgetNameSchema.optional(),
    scope: BudgetScopeSchema.optional(),
    period: BudgetPeriodKindSchema.optional(),
    timeZone: TimeZoneSchema.optional(),
    limitUsd: BudgetLimitSchema.optional(),
    thresholds: BudgetThresholdsSchema.optional(),
    enforcement: BudgetEnforcementSchema.optional(),
  })
  .strict();

export const RemoveBudgetPayload = z.object(target).strict();

export const BudgetCommandPayloads = {
  DefineBudget: DefineBudgetPayload,
  ChangeBudget: ChangeBudgetPayload,
  RemoveBudget: RemoveBudgetPayload,
} as const;

export type BudgetCommandType = keyof typeof BudgetCommandPayloads;
export type BudgetCommandPayload<T extends BudgetCommandType> = z.output<(typeof BudgetCommandPayloads)[T]>;
export type BudgetCommandInput<T extends BudgetCommandType> = z.input<(typeof BudgetCommandPayloads)[T]>;
export type BudgetCommandAnswer = CommandAnswer;

export enum BudgetErrorCode {
  InvalidCommand = 'BUDGET_INVALID_COMMAND',
  Forbidden = 'BUDGET_FORBIDDEN',
  NotFound = 'BUDGET_NOT_FOUND',
  /** The budget id is taken by another definition (409). */
  AlreadyDefined = 'BUDGET_ALREADY_DEFINED',
  Conflict = 'BUDGET_CONFLICT',
  Unavailable = 'BUDGET_UNAVAILABLE',
  /** A reservation would take a block budget's spend and holds past its limit (402, the problem names the budget). */
  Exceeded = 'BUDGET_EXCEEDED',
  /** The reservation counters are being rebuilt after their store was lost (503 with Retry-After). */
  CountersRebuilding = 'BUDGET_COUNTERS_REBUILDING',
}

export type BudgetErrorBody = CommandErrorBody<BudgetErrorCode>;

export const BUDGET_ERROR_HTTP_STATUS: Readonly<Record<BudgetErrorCode, number>> = {
  [BudgetErrorCode.InvalidCommand]: 400,
  [BudgetErrorCode.Forbidden]: 403,
  [BudgetErrorCode.NotFound]: 404,
  [BudgetErrorCode.AlreadyDefined]: 409,
  [BudgetErrorCode.Conflict]: 409,
  [BudgetErrorCode.Unavailable]: 503,
  [BudgetErrorCode.Exceeded]: 402,
  [BudgetErrorCode.CountersRebuilding]: 503,
};
