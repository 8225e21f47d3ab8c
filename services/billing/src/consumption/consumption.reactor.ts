import { ExactSum, periodOf } from '@steward/billing';
import { USAGE_STREAM_PREFIX } from '@steward/contracts';
import { comparePositions, formatPosition, parsePosition, type GlobalPosition, type RecordedEvent } from '@steward/event-store';
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
  /** The USD by billing period of the calls (the account's zone), oldest first; Σ = usd. */
  readonly parts: ReadonlyArray<{ readonly usagePeriod: string; readonly usd: string }>;
}

interface UsageData {
  readonly organizationId?: unknown;
  readonly cost?: unknown;
  readonly delta?: unknown;
  /** The call's time (a correction's: the corrected call's). */
  readonly time?: unknown;
}

/** Every field of UsageRecorded / UsageCorrected data this reactor reads (and the store keeps for it). */
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

export interface ConsumptionReactorDeps {
  readonly accounts: AccountStreams;
  readonly runner: BillingCommandRunner;
  readonly now?: () => Date;
  /** Called after each organization's batch is stored (metrics, tests). */
  readonly onConsumed?: (usage: OrganizationUsage) => void;
}

/**
 * The consumption reactor, run by a ProjectionHost inside the billing
 * process: it follows UsageRecorded and UsageCorrected from its checkpoint and
 * turns each organization's priced usage in a batch into one CreditsConsumed
 * (decided by the account, drawn on its grants) whose source position range
 * is its idempotency key. The key lives in the account stream itself, written
 * in the same append as the consumption: killed anywhere — before the append,
 * after it but before the checkpoint — the reactor reads the batch again and
 * skips, per organization, every event at or before the account's last
 * consumed position. Nothing is lost, nothing counted twice. A failure never
 * quarantines a usage event: the whole batch is retried from the checkpoint.
 */
export function consumptionReactor(deps: ConsumptionReactorDeps): ProjectionDefinition {
  const now = deps.now ?? (() => new Date());
  return defineProjection({
    name: CONSUMPTION_REACTOR,
    version: 1,
    eventTypes: ['UsageRecorded', 'UsageCorrected'],
    streamPrefixes: [USAGE_STREAM_PREFIX],
    // credits follow usage asynchronously by design: recording usage never waits for billing
    awaitedByWrites: false,
    // only three fields of the data, the type and the position count here: the batches hold a few fields per
    // event, not whole documents and their metadata (at ingest rates most of this reactor's own CPU)
    withoutMetadata: true,
    dataFields: USAGE_FIELDS,
    async migrate() {
      // no table: its progress is its checkpoint, its idempotency key is in the account streams
    },
    async handle(_trx, events) {
      try {
        const organizations = [...new Set(events.map((event) => (event.data as UsageData).organizationId).filter((id): id is string => typeof id === 'string'))];
        const through = new Map<string, string | undefined>();
        const zones = new Map<string, string>();
        for (const organizationId of organizations) {
          const loaded = await deps.accounts.load(organizationId);
          through.set(organizationId, loaded.state.exists ? loaded.state.consumedThrough : undefined);
          // an account not open yet opens in the default zone with this very decision
          zones.set(organizationId, loaded.state.exists ? loaded.state.timeZone : deps.runner.defaultTimeZone);
        }
        const zoneOf = (organizationId: string) => zones.get(organizationId) ?? deps.runner.defaultTimeZone;
        for (const usage of groupUsage(events, (organizationId) => through.get(organizationId), zoneOf)) {
          // a batch of unpriced calls only moves no credit: nothing to record
          if (usage.parts.every((part) => part.usd === '0')) continue;
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
        // the runner's own kind of error: retried from the checkpoint, never taken apart and quarantined
        throw new ProjectionError(ProjectionErrorCode.NothingApplies, `billing consumption failed, retrying the batch: ${(error as Error).message}`, {}, { cause: error });
      }
    },
  });
}
