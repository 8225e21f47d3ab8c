import { z } from 'zod';
import { EventRegistry, defineEvent } from '../registry';
import { IsoTimeSchema, TeamIdSchema, TimeZoneSchema } from '../team/team-fields';
import { storedText } from '../fields';
import { AmountSchema, SignedAmountSchema } from '../billing/billing-fields';
import {
  BudgetEnforcementSchema,
  BudgetLimitSchema,
  BudgetNameSchema,
  BudgetPeriodKindSchema,
  BudgetScopeSchema,
  BudgetThresholdsSchema,
} from './budget-fields';

/*
 * The budgets context's events, version 1. BudgetDefined / BudgetChanged /
 * BudgetRemoved in `budget-<budgetId>`; BudgetThresholdCrossed in
 * `budget-alerts-<budgetId>` (see BudgetStreams).
 */

const scoped = { organizationId: TeamIdSchema, workspaceId: TeamIdSchema, budgetId: TeamIdSchema };
const ActorIdSchema = storedText(200);

/** A budget's definition as a whole (BudgetDefined carries it; BudgetChanged carries it again, as changed). */
export const BudgetDefinitionSchema = z
  .object({
    name: BudgetNameSchema,
    scope: BudgetScopeSchema,
    period: BudgetPeriodKindSchema,
    /** The IANA zone whose local midnights cut the periods (the organization's billing time zone when defined). */
    timeZone: TimeZoneSchema,
    limitUsd: BudgetLimitSchema,
    thresholds: BudgetThresholdsSchema,
    enforcement: BudgetEnforcementSchema,
  })
  .strict();
export type BudgetDefinition = z.infer<typeof BudgetDefinitionSchema>;

export const BudgetDefined = defineEvent({
  type: 'BudgetDefined',
  version: 1,
  context: 'budgets',
  schema: z.object({ ...scoped, ...BudgetDefinitionSchema.shape, definedBy: ActorIdSchema, definedAt: IsoTimeSchema }).strict(),
});

/** The definition after the change, whole; the period's spend and crossings so far stay. */
export const BudgetChanged = defineEvent({
  type: 'BudgetChanged',
  version: 1,
  context: 'budgets',
  schema: z.object({ ...scoped, ...BudgetDefinitionSchema.shape, changedBy: ActorIdSchema, changedAt: IsoTimeSchema }).strict(),
});

export const BudgetRemoved = defineEvent({
  type: 'BudgetRemoved',
  version: 1,
  context: 'budgets',
  schema: z.object({ ...scoped, removedBy: ActorIdSchema, removedAt: IsoTimeSchema }).strict(),
});

/** A budget's period: its first instant (local midnight), the first instant of the next, and a label (`2026-12-07`, `2026-W49`, `2026-12`). */
export const BudgetPeriodSchema = z.object({ start: IsoTimeSchema, end: IsoTimeSchema, label: storedText(20) }).strict();
export type BudgetPeriod = z.infer<typeof BudgetPeriodSchema>;

/**
 * The period's spend reached `thresholdPercent` of the limit. Raised exactly once per budget × period ×
 * threshold (its event id is derived from the three). `spendUsd` is the spend right after the usage that
 * crossed; `crossedAt` the time that usage was recorded.
 */
export const BudgetThresholdCrossed = defineEvent({
  type: 'BudgetThresholdCrossed',
  version: 1,
  context: 'budgets',
  schema: z
    .object({
      ...scoped,
      budgetName: BudgetNameSchema,
      period: BudgetPeriodSchema,
      periodKind: BudgetPeriodKindSchema,
      thresholdPercent: z.number().int().min(1).max(1000),
      limitUsd: AmountSchema,
      spendUsd: SignedAmountSchema,
      enforcement: BudgetEnforcementSchema,
      crossedAt: IsoTimeSchema,
    })
    .strict(),
});

export const BUDGET_EVENTS = [BudgetDefined, BudgetChanged, BudgetRemoved, BudgetThresholdCrossed] as const;
export const budgetEventRegistry = new EventRegistry().register(...BUDGET_EVENTS);

export type BudgetDefinedData = z.infer<typeof BudgetDefined.schema>;
export type BudgetChangedData = z.infer<typeof BudgetChanged.schema>;
export type BudgetRemovedData = z.infer<typeof BudgetRemoved.schema>;
export type BudgetThresholdCrossedData = z.infer<typeof BudgetThresholdCrossed.schema>;
export type BudgetEvent =
  | { readonly type: 'BudgetDefined'; readonly data: BudgetDefinedData }
  | { readonly type: 'BudgetChanged'; readonly data: BudgetChangedData }
  | { readonly type: 'BudgetRemoved'; readonly data: BudgetRemovedData };
