import { ExactSum, periodOf } from '@steward/billing';
import { USAGE_STREAM_PREFIX } from '@steward/contracts';
import { comparePositions, formatPosition, parsePosition, type EventStore, type GlobalPosition, type RecordedEvent, type SumGroup } from '@steward/event-store';
import { ProjectionError, ProjectionErrorCode, defineProjection, type ProjectionDefinition } from '@steward/projections';
import type { AccountStreams } from '../accounts/account-streams';
import type { BillingCommandRunner } from '../accounts/billing-command.runner';

export const CONSUMPTION_REACTOR = 'billing-consumption';

/** The priced usage of one organization in a batch: what one consumption decision records. */
export interface OrganizationUsage {
  readonly organizationId: string;
  readonly usd: string;
  readonly first: string;
  readonly last: string;
  readonly events: number;
  /** The USD by billing period of the calls (the account's zone), oldest first; Σ = usd. */
  readonly parts: ReadonlyArray<{ readonly usagePeriod: string; readonly usd: string }>;
}

/**
 * What the store adds up per organization: a recorded call's cost, a correction's delta (USD, exact
 * decimal text); and the earliest and latest call time of each group, to tell whether it lies in one
 * billing period.
 */
export const USAGE_FOLD = {
  groupBy: 'organizationId',
  sum: { UsageRecorded: 'cost', UsageCorrected: 'delta' },
  span: 'time',
} as const;

interface UsageData {
  readonly organizationId?: unknown;
  readonly cost?: unknown;
  readonly delta?: unknown;
  /** The call's time (a correction's: the corrected call's). */
  readonly time?: unknown;
}

/** Every field of UsageRecorded / UsageCorrected data this reactor reads (when it reads usage events again). */
const USAGE_FIELDS: ReadonlyArray<keyof UsageData> = ['organizationId', 'cost', 'delta', 'time'];

/** The USD an event adds to what its organization consumed: a recorded call's cost, a correction's delta. */
function usdOf(event: RecordedEvent): string | undefined {
  const data = event.data as UsageData;
  const value = event.type === 'UsageRecorded' ? data.cost : event.type === 'UsageCorrected' ? data.delta : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Groups a batch of usage events by organization, leaving out what each
 * account has consumed already (at or before its last consumed position):
 * positions only grow, so "after the last consumed" is exactly "not counted yet".
 * Within an organization the USD is split by the billing period of each call
 * (`timeZone`: the account's), so an invoice applies the credits of its own
 * period's calls, however late they arrive.
 */
export function groupUsage(
  events: readonly RecordedEvent[],
  consumedThrough: (organizationId: string) => string | undefined,
  timeZone: (organizationId: string) => string = () => 'UTC',
): OrganizationUsage[] {
  const groups = new Map<string, { usd: ExactSum; first: GlobalPosition; last: GlobalPosition; events: number; parts: Map<string, ExactSum> }>();
  const throughOf = new Map<string, GlobalPosition | undefined>();
  for (const event of events) {
    const organizationId = (event.data as UsageData).organizationId;
    const usd = usdOf(event);
    if (typeof organizationId !== 'string' || usd === undefined) continue;
    let through = throughOf.get(organizationId);
    if (!throughOf.has(organizationId)) {
      const text = consumedThrough(organizationId);
      through = text === undefined ? undefined : parsePosition(text);
      throughOf.set(organizationId, through);
    }
    if (through !== undefined && comparePositions(event.position, through) <= 0) continue;
    const time = (event.data as UsageData).time;
    // a call without a time (none is recorded so) counts in the period it is consumed in
    const usagePeriod = periodOf(typeof time === 'string' && Number.isFinite(Date.parse(time)) ? time : event.recordedAt, timeZone(organizationId));
    let group = groups.get(organizationId);
    if (group) {
      group.usd.add(usd);
      group.last = event.position;
      group.events += 1;
    } else {
      const sum = new ExactSum();
      sum.add(usd);
      group = { usd: sum, first: event.position, last: event.position, events: 1, parts: new Map() };
      groups.set(organizationId, group);
    }
    const part = group.parts.get(usagePeriod) ?? new ExactSum();
    part.add(usd);
    group.parts.set(usagePeriod, part);
  }
  return [...groups].map(([organizationId, group]) => ({
    organizationId,
    usd: group.usd.text(),
    first: formatPosition(group.first),
    last: formatPosition(group.last),
    events: group.events,
    parts: [...group.parts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([usagePeriod, sum]) => ({ usagePeriod, usd: sum.text() })),
  }));
}

/** What a group of the fold needs of its account: its last consumed position and its billing time zone. */
export interface AccountView {
  readonly consumedThrough: string | undefined;
  readonly timeZone: string;
}

/**
 * The part of a folded group not consumed yet, split by billing period:
 * - a group that ends at or before the account's last consumed position: nothing;
 * - a group after it whose calls all lie in one billing period (the usual case: live usage): the store's
 *   sum as it is, one part;
 * - otherwise (a group spanning periods, calls without a time, or a batch read again after a crash between
 *   the append and the checkpoint, straddling the consumed position): its events are read again, over
 *   (the consumed position or the batch's start, the group's last], and split exactly by `groupUsage`.
 */
export async function unconsumed(
  group: SumGroup,
  account: AccountView,
  batchFrom: GlobalPosition,
  reread: (organizationId: string, after: GlobalPosition, through: GlobalPosition) => Promise<RecordedEvent[]>,
): Promise<OrganizationUsage | undefined> {
  const through = account.consumedThrough === undefined ? undefined : parsePosition(account.consumedThrough);
  if (through !== undefined && comparePositions(group.last, through) <= 0) return undefined;
  const straddles = through !== undefined && comparePositions(group.first, through) <= 0;
  if (!straddles && group.unspanned === 0 && group.earliest !== undefined && group.latest !== undefined) {
    const usagePeriod = periodOf(group.earliest, account.timeZone);
    if (periodOf(group.latest, account.timeZone) === usagePeriod) {
      return {
        organizationId: group.key,
        usd: group.sum,
        first: formatPosition(group.first),
        last: formatPosition(group.last),
        events: group.count,
        parts: [{ usagePeriod, usd: group.sum }],
      };
    }
  }
  const events = await reread(group.key, straddles ? through : batchFrom, group.last);
  return groupUsage(events, () => account.consumedThrough, () => account.timeZone).find((usage) => usage.organizationId === group.key);
}

export interface ConsumptionReactorDeps {
  /** Where usage is read again, event by event, when a group cannot be taken as the store summed it. */
  readonly store: EventStore;
  readonly accounts: AccountStreams;
  readonly runner: BillingCommandRunner;
  readonly now?: () => Date;
  /** Called after each organization's batch is stored (metrics, tests). */
  readonly onConsumed?: (usage: OrganizationUsage) => void;
  /**
   * Live, a fold at most every this many ms (see ProjectionDefinition.minBatchIntervalMs). Each fold appends
   * one CreditsConsumed per organization, and every append wakes the store's readers: paced, an
   * organization's credits move at most about 1000 / this many times a second, however often usage is
   * appended. Default 0.
   */
  readonly minBatchIntervalMs?: number;
}

/**
 * The consumption reactor, a fold projection run by a ProjectionHost inside
 * the billing process: it follows UsageRecorded and UsageCorrected from its
 * checkpoint, added up per organization by the store, and turns each
 * organization's priced usage in a batch into CreditsConsumed (decided by the
 * account, drawn on its grants, one per billing period of the calls) whose
 * source position range is its idempotency key. The key lives in the account
 * stream itself, written in the same append as the consumption: killed
 * anywhere — before the append, after it but before the checkpoint — the
 * reactor folds from its checkpoint again: a group that ends at or before the
 * account's last consumed position is skipped, one that straddles it is read
 * again over what lies after it (`unconsumed`). Nothing is lost, nothing
 * counted twice. A failure never quarantines a usage event: the whole batch is
 * retried from the checkpoint.
 */
export function consumptionReactor(deps: ConsumptionReactorDeps): ProjectionDefinition {
  const now = deps.now ?? (() => new Date());
  const filter = { eventTypes: Object.keys(USAGE_FOLD.sum), streamPrefixes: [USAGE_STREAM_PREFIX] };
  /** One organization's usage events in (after, through], read narrowly: the rare path. */
  const reread = async (organizationId: string, after: GlobalPosition, through: GlobalPosition): Promise<RecordedEvent[]> => {
    const events: RecordedEvent[] = [];
    let from = after;
    for (;;) {
      const page = await deps.store.readAll({ from, filter, maxCount: 5000, withoutMetadata: true, dataFields: USAGE_FIELDS });
      for (const event of page.events) {
        if (comparePositions(event.position, through) > 0) return events;
        if ((event.data as UsageData).organizationId === organizationId) events.push(event);
      }
      if (page.isEnd || comparePositions(page.checkpoint, through) >= 0) return events;
      from = page.checkpoint;
    }
  };
  return defineProjection({
    name: CONSUMPTION_REACTOR,
    version: 1,
    streamPrefixes: [USAGE_STREAM_PREFIX],
    // credits follow usage asynchronously by design: recording usage never waits for billing
    awaitedByWrites: false,
    ...(deps.minBatchIntervalMs ? { minBatchIntervalMs: deps.minBatchIntervalMs } : {}),
    // the store adds up each batch's usage per organization (exact numeric): only a row per organization
    // leaves it, not the usage events (reading and parsing them was most of this reactor's cost at ingest rates)
    fold: USAGE_FOLD,
    async migrate() {
      // no table: its progress is its checkpoint, its idempotency key is in the account streams
    },
    async handleSums(_trx, sums) {
      try {
        for (const group of sums.groups) {
          const loaded = await deps.accounts.load(group.key);
          const account: AccountView = loaded.state.exists
            ? { consumedThrough: loaded.state.consumedThrough, timeZone: loaded.state.timeZone }
            : // an account not open yet opens in the default zone with this very decision
              { consumedThrough: undefined, timeZone: deps.runner.defaultTimeZone };
          const usage = await unconsumed(group, account, sums.from, reread);
          // a batch of unpriced calls only moves no credit: nothing to record
          if (!usage || usage.parts.every((part) => part.usd === '0')) continue;
          const at = now().toISOString();
          await deps.runner.decideOn(
            usage.organizationId,
            {
              commandId: `billing-consume:${usage.organizationId}:${usage.first}:${usage.last}`,
              type: 'ConsumeCredits',
              actor: { type: 'system', id: 'billing' },
              organizationId: usage.organizationId,
              issuedAt: at,
              payload: {},
            },
            { type: 'ConsumeCredits', usd: usage.usd, source: { first: usage.first, last: usage.last, events: usage.events }, parts: usage.parts },
          );
          deps.onConsumed?.(usage);
        }
      } catch (error) {
        if (error instanceof ProjectionError) throw error;
        // the runner's own kind of error: retried from the checkpoint
        throw new ProjectionError(ProjectionErrorCode.NothingApplies, `billing consumption failed, retrying the batch: ${(error as Error).message}`, {}, { cause: error });
      }
    },
  });
}
