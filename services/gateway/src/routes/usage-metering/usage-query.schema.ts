import { z } from 'zod';
import { AgentNameSchema, TimeZoneSchema, InstantSchema, MonthSchema } from '@steward/contracts';
import { INTERVALS } from '@steward/usage-metering';
import { PathId } from '../route-params';

export const PERIODS = ['7d', '30d', '90d', 'custom'] as const;
export type Period = (typeof PERIODS)[number];
export const PERIOD_DAYS: Readonly<Record<Exclude<Period, 'custom'>, number>> = { '7d': 7, '30d': 30, '90d': 90 };
/** The longest custom range. */
export const MAX_RANGE_DAYS = 400;

/** `all`: every workspace of the caller's organization the caller may read usage of. */
export const WorkspaceChoice = z.union([z.literal('all'), PathId]);

/** The filters every chargeback route shares (the Usage Analytics filter bar). */
export const usageFilters = {
  workspaceId: WorkspaceChoice.default('all'),
  /** With workspaceId=all: the organization whose workspaces are read (needed by a person of several organizations). */
  organizationId: PathId.optional(),
  period: z.enum(PERIODS).default('30d'),
  /** With period=custom: inclusive start (floored to the quarter hour). */
  from: InstantSchema.optional(),
  /** With period=custom: exclusive end (ceiled to the quarter hour). */
  to: InstantSchema.optional(),
  agent: AgentNameSchema.optional(),
  /** IANA time zone of the buckets; default the caller's profile time zone, else UTC. */
  tz: TimeZoneSchema.optional(),
};

interface RangeInput {
  period: Period;
  from?: string | undefined;
  to?: string | undefined;
}

/** custom needs from and to, from before to, at most MAX_RANGE_DAYS; the fixed periods take neither. */
export function checkRange(value: RangeInput, context: z.RefinementCtx): void {
  if (value.period !== 'custom') {
    for (const name of ['from', 'to'] as const) {
      if (value[name] !== undefined) context.addIssue({ code: 'custom', path: [name], message: `${name} is only taken with period=custom` });
    }
    return;
  }
  for (const name of ['from', 'to'] as const) {
    if (value[name] === undefined) context.addIssue({ code: 'custom', path: [name], message: `period=custom needs ${name}` });
  }
  if (value.from === undefined || value.to === undefined) return;
  const from = Date.parse(value.from);
  const to = Date.parse(value.to);
  if (from >= to) context.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
  else if (to - from > MAX_RANGE_DAYS * 86_400_000) context.addIssue({ code: 'custom', path: ['from'], message: `a custom range spans at most ${MAX_RANGE_DAYS} days` });
}

export const SummaryQuery = z.strictObject(usageFilters).superRefine(checkRange);
export const TimelineQuery = z.strictObject({ ...usageFilters, interval: z.enum(INTERVALS).default('day') }).superRefine(checkRange);
export const EventsQuery = z
  .strictObject({
    ...usageFilters,
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .superRefine(checkRange);
export const StatementQuery = z.strictObject({
  workspaceId: usageFilters.workspaceId,
  organizationId: usageFilters.organizationId,
  /** The UTC calendar month, `YYYY-MM`; default the current one. */
  month: MonthSchema.optional(),
});
