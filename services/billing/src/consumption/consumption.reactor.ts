import { USAGE_STREAM_PREFIX } from '@steward/contracts';
import { comparePositions, foldSums, formatPosition, parsePosition, type EventStore, type GlobalPosition, type RecordedEvent, type SumGroup } from '@steward/event-store';
import { ProjectionError, ProjectionErrorCode, defineProjection, type ProjectionDefinition } from '@steward/projections';
import type { AccountStreams } from '../accounts/account-streams';
import type { BillingCommandRunner } from '../accounts/billing-command.runner';

export const CONSUMPTION_REACTOR = 'billing-consumption';

/** The priced usage of one organization in a batch: what one CreditsConsumed records. */
export interface OrganizationUsage {
  readonly organizationId: string;
  readonly usd: string;
  readonly first: string;
  readonly last: string;
  readonly events: number;
}

/** What the store adds up per organization: a recorded call's cost, a correction's delta (USD, exact decimal text). */
export const USAGE_FOLD = {
  groupBy: 'organizationId',
  sum: { UsageRecorded: 'cost', UsageCorrected: 'delta' },
} as const;

/**
 * The part of a group not consumed yet, given the account's last consumed position: the whole group when
 * it starts after it; nothing when it ends at or before it; otherwise (a batch read again after a crash
 * between the append and the checkpoint, in other bounds) `resum` adds up (through, group.last] exactly.
 */
export async function unconsumed(
  group: SumGroup,
  consumedThrough: string | undefined,
  resum: (organizationId: string, after: GlobalPosition, through: GlobalPosition) => Promise<SumGroup | undefined>,
): Promise<OrganizationUsage | undefined> {
  let usage: SumGroup | undefined = group;
  if (consumedThrough !== undefined) {
    const through = parsePosition(consumedThrough);
    if (comparePositions(group.last, through) <= 0) return undefined;
    if (comparePositions(group.first, through) <= 0) usage = await resum(group.key, through, group.last);
  }
  if (!usage) return undefined;
  return { organizationId: usage.key, usd: usage.sum, first: formatPosition(usage.first), last: formatPosition(usage.last), events: usage.count };
}

export interface ConsumptionReactorDeps {
  /** Where usage is read again in the rare case a batch is re-read across a consumed position. */
  readonly store: EventStore;
  readonly accounts: AccountStreams;
  readonly runner: BillingCommandRunner;
  readonly now?: () => Date;
  /** Called after each organization's batch is stored (metrics, tests). */
  readonly onConsumed?: (usage: OrganizationUsage) => void;
}

/**
 * The consumption reactor, a fold projection run by a ProjectionHost inside
 * the billing process: it follows UsageRecorded and UsageCorrected from its
 * checkpoint, added up per organization by the store, and turns each
 * organization's priced usage in a batch into one CreditsConsumed
 * (decided by the account, drawn on its grants) whose source position range
 * is its idempotency key. The key lives in the account stream itself, written
 * in the same append as the consumption: killed anywhere — before the append,
 * after it but before the checkpoint — the reactor folds from its checkpoint
 * again: a group that ends at or before the account's last consumed position
 * is skipped, one that straddles it is added up again over what lies after it
 * (`unconsumed`). Nothing is lost, nothing counted twice. A failure never
 * quarantines a usage event: the whole batch is retried from the checkpoint.
 */
export function consumptionReactor(deps: ConsumptionReactorDeps): ProjectionDefinition {
  const now = deps.now ?? (() => new Date());
  const filter = { eventTypes: Object.keys(USAGE_FOLD.sum), streamPrefixes: [USAGE_STREAM_PREFIX] };
  /** One organization's usage in (after, through], read and added up here: the rare path after a crash. */
  const resum = async (organizationId: string, after: GlobalPosition, through: GlobalPosition): Promise<SumGroup | undefined> => {
    const events: RecordedEvent[] = [];
    let from = after;
    for (;;) {
      const page = await deps.store.readAll({ from, filter, maxCount: 5000, withoutMetadata: true, dataFields: [USAGE_FOLD.groupBy, ...Object.values(USAGE_FOLD.sum)] });
      for (const event of page.events) {
        if (comparePositions(event.position, through) > 0) break;
        if ((event.data as { organizationId?: unknown }).organizationId === organizationId) events.push(event);
      }
      const last = page.events.at(-1);
      if (page.isEnd || (last && comparePositions(last.position, through) >= 0) || comparePositions(page.checkpoint, through) >= 0) break;
      from = page.checkpoint;
    }
    return foldSums(events, USAGE_FOLD).find((group) => group.key === organizationId);
  };
  return defineProjection({
    name: CONSUMPTION_REACTOR,
    version: 1,
    streamPrefixes: [USAGE_STREAM_PREFIX],
    // credits follow usage asynchronously by design: recording usage never waits for billing
    awaitedByWrites: false,
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
          const usage = await unconsumed(group, loaded.state.exists ? loaded.state.consumedThrough : undefined, resum);
          // a batch of unpriced calls only moves no credit: nothing to record
          if (!usage || usage.usd === '0') continue;
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
            { type: 'ConsumeCredits', usd: usage.usd, source: { first: usage.first, last: usage.last, events: usage.events } },
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
