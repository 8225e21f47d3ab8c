import type { Logger } from 'pino';
import { sql, type Kysely, type Transaction } from 'kysely';
import {
  BudgetCounters,
  SPEND_REACTOR,
  budgetPeriodAt,
  counterSuffix,
  migrateSpendTables,
  scopeCovers,
  unitsUp,
  type SpendDB,
} from '@steward/budgets';
import {
  BUDGET_STREAM_PREFIX,
  BudgetStreams,
  USAGE_STREAM_PREFIX,
  budgetEventRegistry,
  eventIdFor,
  type BudgetDefinition,
  type BudgetPeriod,
  type BudgetThresholdCrossedData,
} from '@steward/contracts';
import type { EventStore, RecordedEvent } from '@steward/event-store';
import { ProjectionError, ProjectionErrorCode, defineProjection, type ProjectionDefinition } from '@steward/projections';
import { addUsage, type SpendUsage } from './spend-batch';
import { ThresholdTally, parseDecimal, type Scaled } from './spend-tally';
import { thresholdLevels } from './threshold-crossings';

interface KnownBudget {
  readonly budgetId: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  definition: BudgetDefinition;
  removed: boolean;
  dirty: boolean;
  /** The period of its last usage in this batch and that period's spend: most calls fall in the same one. */
  current?: { readonly startMs: number; readonly endMs: number; readonly spend: PeriodSpend };
}

interface PeriodSpend {
  readonly budgetId: string;
  readonly period: BudgetPeriod;
  readonly before: string;
  total: ThresholdTally;
  /** The definition whose levels the total compares with (a BudgetChanged in the batch brings new ones). */
  levelsOf: KnownBudget;
  through: RecordedEvent['position'];
}

interface Crossing {
  readonly budget: KnownBudget;
  readonly period: BudgetPeriod;
  readonly thresholdPercent: number;
  readonly spendUsd: string;
  readonly crossedAt: string;
  readonly causedBy: RecordedEvent;
}

/** The event data fields this reactor reads (the store leaves the rest unread). */
const DATA_FIELDS = [
  'organizationId', 'workspaceId', 'budgetId', 'cost', 'delta', 'time', 'agent', 'provider', 'model', 'budgetReservationId',
  'name', 'scope', 'period', 'timeZone', 'limitUsd', 'thresholds', 'enforcement',
];

export interface SpendReactorDeps {
  readonly store: EventStore;
  readonly counters: BudgetCounters;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /** Live, a batch at most every this many ms (see ProjectionDefinition.minBatchIntervalMs). Default 0. */
  readonly minBatchIntervalMs?: number;
  /** Called after a crossing's event is appended (tests, metrics). */
  readonly onCrossed?: (crossing: BudgetThresholdCrossedData) => void;
}

type Trx = Transaction<SpendDB>;

/** The crossing's event id: the same budget, period and threshold give the same id, whatever replays it. */
export function crossingEventId(budgetId: string, periodStart: string, thresholdPercent: number): string {
  return eventIdFor(`budget-threshold:${budgetId}:${periodStart}:${thresholdPercent}`, 0);
}

/**
 * The spend reactor, run by a ProjectionHost in the budgets process (one
 * active instance across replicas): it follows budget definitions and priced
 * usage (UsageRecorded's cost, UsageCorrected's delta, counted in the period
 * of the call's time in the budget's zone) and keeps, in its own schema and
 * in the transaction of its checkpoint, the budgets, the spend per budget and
 * period, and a unique claim per budget × period × threshold reached. A
 * crossing is appended as BudgetThresholdCrossed only when its claim is new,
 * with an event id derived from the claim: killed after the append but
 * before the commit, the reactor claims again and the store finds the event
 * already there. Then it brings the reservation counters in step (spend set,
 * never added, and the holds this batch's usage commits) before its
 * transaction commits, so a restart repeats the same writes. A failure retries
 * the batch, never quarantines a usage event.
 */
export function spendReactor(deps: SpendReactorDeps): ProjectionDefinition<SpendDB> {
  return defineProjection<SpendDB>({
    name: SPEND_REACTOR,
    version: 1,
    eventTypes: ['UsageRecorded', 'UsageCorrected', 'BudgetDefined', 'BudgetChanged', 'BudgetRemoved'],
    streamPrefixes: [USAGE_STREAM_PREFIX, BUDGET_STREAM_PREFIX],
    awaitedByWrites: false,
    dataFields: DATA_FIELDS,
    // of the metadata, only who made a call (an API-key scope counts its key's calls)
    metadataFields: ['actor'],
    // a batch reads and writes every budget it meets: paced, that cost is shared by more usage events
    ...(deps.minBatchIntervalMs ? { minBatchIntervalMs: deps.minBatchIntervalMs } : {}),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async migrate(db: Kysely<any>) {
      await migrateSpendTables(db);
    },
    async handle(trx, events) {
      try {
        await applyBatch(trx, events, deps);
      } catch (error) {
        if (error instanceof ProjectionError) throw error;
        // retried from the checkpoint as a whole, never taken apart and quarantined
        throw new ProjectionError(ProjectionErrorCode.NothingApplies, `budget spend failed, retrying the batch: ${(error as Error).message}`, {}, { cause: error });
      }
    },
  });
}

interface EventData {
  readonly organizationId?: string;
  readonly workspaceId?: string;
  readonly budgetId?: string;
  readonly cost?: string;
  readonly delta?: string;
  readonly time?: string;
  readonly agent?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly budgetReservationId?: string;
}

async function applyBatch(trx: Trx, events: readonly RecordedEvent[], deps: SpendReactorDeps): Promise<void> {
  const budgets = new Map<string, KnownBudget>();
  const byWorkspace = new Map<string, Set<string>>();
  const loadedWorkspaces = new Set<string>();
  /** A workspace's budgets as an array, rebuilt after a definition changes: walked for every usage event. */
  const listed = new Map<string, KnownBudget[]>();
  const budgetsOf = (workspaceId: string): readonly KnownBudget[] => {
    let list = listed.get(workspaceId);
    if (!list) listed.set(workspaceId, (list = [...(byWorkspace.get(workspaceId) ?? [])].map((id) => budgets.get(id)!)));
    return list;
  };
  /**
   * The budgets a kind of call (workspace, agent, provider, model, key) falls under: few kinds, many calls.
   * Nested maps, one level per dimension (undefined a key of its own): no key text built per call.
   */
  type Level = Map<string | undefined, Level | KnownBudget[]>;
  const covering: Level = new Map();
  const levelOf = (level: Level, key: string | undefined): Level => {
    let next = level.get(key) as Level | undefined;
    if (!next) level.set(key, (next = new Map()));
    return next;
  };
  const budgetsCovering = (workspaceId: string, agent?: string, provider?: string, model?: string, apiKeyId?: string): readonly KnownBudget[] => {
    const byKey = levelOf(levelOf(levelOf(levelOf(covering, workspaceId), agent), provider), model);
    let found = byKey.get(apiKeyId) as KnownBudget[] | undefined;
    if (!found) {
      const call = { agent, provider, model, apiKeyId };
      found = budgetsOf(workspaceId).filter(
        (budget) => !budget.removed && !(budget.definition.scope.apiKeyId !== undefined && call.apiKeyId === undefined) && scopeCovers(budget.definition.scope, call),
      );
      byKey.set(apiKeyId, found);
    }
    return found;
  };
  const track = (budget: KnownBudget) => {
    listed.delete(budget.workspaceId);
    covering.clear();
    budgets.set(budget.budgetId, budget);
    let set = byWorkspace.get(budget.workspaceId);
    if (!set) byWorkspace.set(budget.workspaceId, (set = new Set()));
    set.add(budget.budgetId);
  };

  // every workspace and budget the batch names, loaded once
  const workspaceIds = new Set<string>();
  const budgetIds = new Set<string>();
  for (const event of events) {
    const data = event.data as EventData;
    if (data.workspaceId) workspaceIds.add(data.workspaceId);
    if (data.budgetId) budgetIds.add(data.budgetId);
  }
  if (workspaceIds.size > 0 || budgetIds.size > 0) {
    const rows = await trx
      .selectFrom('budgets')
      .selectAll()
      .where((eb) => eb.or([...(workspaceIds.size ? [eb('workspace_id', 'in', [...workspaceIds])] : []), ...(budgetIds.size ? [eb('budget_id', 'in', [...budgetIds])] : [])]))
      .execute();
    for (const row of rows) {
      track({ budgetId: row.budget_id, organizationId: row.organization_id, workspaceId: row.workspace_id, definition: row.definition as unknown as BudgetDefinition, removed: row.removed, dirty: false });
    }
    for (const id of workspaceIds) loadedWorkspaces.add(id);
  }

  const spends = new Map<string, PeriodSpend>();
  const crossings: Crossing[] = [];
  const commits: string[] = [];

  /** Stored spend read ahead (budget|period start ms → its text; looked up but absent: no row, 0). */
  const stored = new Map<string, string | undefined>();
  /**
   * Reads, in one statement, the stored spend of every budget of the workspace in its period at `atMs`
   * (and of `budget` in `period`): one read per workspace and period in a batch rather than one per budget.
   * Nothing writes spend before the batch's end, so a row read ahead is the row a later read would find.
   */
  const readAhead = async (budget: KnownBudget, period: BudgetPeriod, atMs: number): Promise<void> => {
    const ids: string[] = [budget.budgetId];
    const starts: string[] = [period.start];
    stored.set(`${budget.budgetId}|${Date.parse(period.start)}`, undefined);
    for (const other of budgetsOf(budget.workspaceId)) {
      if (other.removed || other === budget) continue;
      const otherPeriod = budgetPeriodAt(other.definition.period, other.definition.timeZone, atMs);
      const key = `${other.budgetId}|${Date.parse(otherPeriod.start)}`;
      if (stored.has(key)) continue;
      stored.set(key, undefined);
      ids.push(other.budgetId);
      starts.push(otherPeriod.start);
    }
    const { rows } = await sql<{ budget_id: string; start_ms: string; spend_usd: string }>`
      SELECT s.budget_id, (extract(epoch FROM s.period_start) * 1000)::bigint::text AS start_ms, s.spend_usd::text AS spend_usd
        FROM spend s
        JOIN unnest(${ids}::text[], ${starts}::timestamptz[]) AS wanted(budget_id, period_start)
          ON s.budget_id = wanted.budget_id AND s.period_start = wanted.period_start`.execute(trx);
    for (const row of rows) stored.set(`${row.budget_id}|${row.start_ms}`, row.spend_usd);
  };

  const spendOf = async (budget: KnownBudget, period: BudgetPeriod, at: RecordedEvent, atMs: number): Promise<PeriodSpend> => {
    const { budgetId } = budget;
    const key = `${budgetId}|${period.start}`;
    let found = spends.get(key);
    if (!found) {
      const storedKey = `${budgetId}|${Date.parse(period.start)}`;
      if (!stored.has(storedKey)) await readAhead(budget, period, atMs);
      const before = stored.get(storedKey) ?? '0';
      const total = new ThresholdTally(parseDecimal(before), thresholdLevels(budget.definition.limitUsd, budget.definition.thresholds));
      found = { budgetId, period, before, total, levelsOf: budget, through: at.position };
      spends.set(key, found);
    } else if (found.levelsOf !== budget) {
      found.total.relevel(thresholdLevels(budget.definition.limitUsd, budget.definition.thresholds));
      found.levelsOf = budget;
    }
    return found;
  };

  /** A crossing for each threshold an amount added to a budget's period spend reached. */
  const added = (spend: PeriodSpend, event: RecordedEvent, reached: readonly number[]): void => {
    spend.through = event.position;
    for (let level = 0; level < reached.length; level++) {
      crossings.push({ budget: spend.levelsOf, period: spend.period, thresholdPercent: reached[level]!, spendUsd: spend.total.text(), crossedAt: event.recordedAt.toISOString(), causedBy: event });
    }
  };

  /**
   * The usage events since the last budget event (or the batch's start), in the store's order: added when
   * a budget event or the batch's end comes, by addUsage — a kind of call's total at once to the budgets
   * no event of the run could take over a threshold, event by event (in the run's order) to the others;
   * see addUsage for why the thresholds reached, their events and the spend are those of adding each event
   * in turn. A budget event ends the run: it changes which budgets cover a call and their levels, so the
   * run before it is added with the budgets as they were, the run after with the budgets as they are
   * (spendOf relevels a spend when its budget changed), as one event at a time would.
   */
  let run: Array<{ event: RecordedEvent; amount: Scaled; covered: readonly KnownBudget[]; at: number }> = [];
  const addRun = async (): Promise<void> => {
    if (run.length === 0) return;
    /**
     * The spends a call adds to, per covering list and window: calls under the same budgets in the same
     * period of each (their time within the window every period holds) share one targets array, their key.
     */
    const windows = new Map<readonly KnownBudget[], Array<{ startMs: number; endMs: number; targets: PeriodSpend[] }>>();
    const usages: Array<SpendUsage<RecordedEvent, PeriodSpend>> = [];
    for (const { event, amount, covered, at } of run) {
      let known = windows.get(covered);
      if (!known) windows.set(covered, (known = []));
      let window: { startMs: number; endMs: number; targets: PeriodSpend[] } | undefined;
      for (let index = 0; index < known.length; index++) {
        const candidate = known[index]!;
        if (at >= candidate.startMs && at < candidate.endMs) {
          window = candidate;
          break;
        }
      }
      if (!window) {
        window = { startMs: -Infinity, endMs: Infinity, targets: [] };
        for (const budget of covered) {
          let current = budget.current;
          if (!current || !(at >= current.startMs && at < current.endMs)) {
            const period = budgetPeriodAt(budget.definition.period, budget.definition.timeZone, at);
            budget.current = current = { startMs: Date.parse(period.start), endMs: Date.parse(period.end), spend: await spendOf(budget, period, event, at) };
          }
          if (current.startMs > window.startMs) window.startMs = current.startMs;
          if (current.endMs < window.endMs) window.endMs = current.endMs;
          window.targets.push(current.spend);
        }
        known.push(window);
      }
      usages.push({ event, amount, targets: window.targets });
    }
    run = [];
    addUsage(usages, added);
  };

  for (const event of events) {
    const data = event.data as EventData;
    if (event.type !== 'UsageRecorded' && event.type !== 'UsageCorrected') await addRun();
    switch (event.type) {
      case 'BudgetDefined':
      case 'BudgetChanged': {
        // version 1 is the only one: its fields as stored (dataFields leaves out who and when)
        const full = event.data as BudgetDefinition & { organizationId: string; workspaceId: string; budgetId: string };
        const definition: BudgetDefinition = { name: full.name, scope: full.scope, period: full.period, timeZone: full.timeZone, limitUsd: full.limitUsd, thresholds: full.thresholds, enforcement: full.enforcement };
        track({ budgetId: full.budgetId, organizationId: full.organizationId, workspaceId: full.workspaceId, definition, removed: false, dirty: true });
        break;
      }
      case 'BudgetRemoved': {
        const known = data.budgetId ? budgets.get(data.budgetId) : undefined;
        if (known) {
          known.removed = true;
          known.dirty = true;
          covering.clear();
        }
        break;
      }
      case 'UsageRecorded':
      case 'UsageCorrected': {
        if (event.type === 'UsageRecorded' && data.budgetReservationId) commits.push(data.budgetReservationId);
        const text = event.type === 'UsageRecorded' ? data.cost : data.delta;
        if (!data.workspaceId || !data.time || text === undefined) break;
        // parsed once for every budget the call falls under
        const amount = parseDecimal(text);
        if (amount.units === 0n) break;
        const actor = event.metadata?.actor;
        // a correction is made by Steward, not by the key that made the call: key-scoped budgets leave it out
        const apiKeyId = event.type === 'UsageRecorded' && actor?.type === 'api_key' ? actor.id : undefined;
        const at = Date.parse(data.time);
        const covered = budgetsCovering(data.workspaceId, data.agent, data.provider, data.model, apiKeyId);
        if (covered.length > 0) run.push({ event, amount, covered, at });
        break;
      }
      default:
        break;
    }
  }
  await addRun();

  const dirty = [...budgets.values()].filter((budget) => budget.dirty);
  if (dirty.length > 0) {
    await trx
      .insertInto('budgets')
      .values(dirty.map((budget) => ({ budget_id: budget.budgetId, organization_id: budget.organizationId, workspace_id: budget.workspaceId, definition: JSON.stringify(budget.definition), removed: budget.removed })))
      .onConflict((conflict) => conflict.column('budget_id').doUpdateSet({ definition: sql`excluded.definition`, removed: sql`excluded.removed` }))
      .execute();
  }
  if (spends.size > 0) {
    // one statement of arrays (a budget's period once in the map): no query builder walk per row
    const ids: string[] = [];
    const starts: string[] = [];
    const ends: string[] = [];
    const amounts: string[] = [];
    const throughs: string[] = [];
    for (const spend of spends.values()) {
      ids.push(spend.budgetId);
      starts.push(spend.period.start);
      ends.push(spend.period.end);
      amounts.push(spend.total.text());
      throughs.push(`${spend.through.commit}/${spend.through.prepare}`);
    }
    await sql`
      INSERT INTO spend (budget_id, period_start, period_end, spend_usd, through)
      SELECT * FROM unnest(${ids}::text[], ${starts}::timestamptz[], ${ends}::timestamptz[], ${amounts}::numeric[], ${throughs}::text[])
      ON CONFLICT (budget_id, period_start) DO UPDATE SET spend_usd = excluded.spend_usd, through = excluded.through`.execute(trx);
  }

  // every claim in one statement, each budget × period × threshold once (its first crossing in the batch, as
  // one insert per crossing in turn would keep); then the crossings whose claim is new, in the batch's order
  const claimKey = (budgetId: string, startMs: number | string, percent: number): string => `${budgetId}|${startMs}|${percent}`;
  const firsts: Crossing[] = [];
  const seen = new Set<string>();
  for (const crossing of crossings) {
    const key = claimKey(crossing.budget.budgetId, Date.parse(crossing.period.start), crossing.thresholdPercent);
    if (seen.has(key)) continue;
    seen.add(key);
    firsts.push(crossing);
  }
  const claimed = new Set<string>();
  if (firsts.length > 0) {
    const { rows } = await sql<{ budget_id: string; start_ms: string; threshold_percent: number }>`
      INSERT INTO threshold_claims (budget_id, period_start, threshold_percent, claimed_at)
      SELECT * FROM unnest(${firsts.map((crossing) => crossing.budget.budgetId)}::text[], ${firsts.map((crossing) => crossing.period.start)}::timestamptz[],
                           ${firsts.map((crossing) => crossing.thresholdPercent)}::integer[], ${firsts.map((crossing) => crossing.crossedAt)}::timestamptz[])
      ON CONFLICT DO NOTHING
      RETURNING budget_id, (extract(epoch FROM period_start) * 1000)::bigint::text AS start_ms, threshold_percent`.execute(trx);
    for (const row of rows) claimed.add(claimKey(row.budget_id, row.start_ms, row.threshold_percent));
  }

  for (const crossing of firsts) {
    if (!claimed.has(claimKey(crossing.budget.budgetId, Date.parse(crossing.period.start), crossing.thresholdPercent))) continue;
    const data: BudgetThresholdCrossedData = {
      organizationId: crossing.budget.organizationId,
      workspaceId: crossing.budget.workspaceId,
      budgetId: crossing.budget.budgetId,
      budgetName: crossing.budget.definition.name,
      period: crossing.period,
      periodKind: crossing.budget.definition.period,
      thresholdPercent: crossing.thresholdPercent,
      limitUsd: crossing.budget.definition.limitUsd,
      spendUsd: crossing.spendUsd,
      enforcement: crossing.budget.definition.enforcement,
      crossedAt: crossing.crossedAt,
    };
    await deps.store.append(
      BudgetStreams.alerts(crossing.budget.budgetId),
      [
        {
          eventId: crossingEventId(crossing.budget.budgetId, crossing.period.start, crossing.thresholdPercent),
          type: 'BudgetThresholdCrossed',
          version: 1,
          data: budgetEventRegistry.validate('BudgetThresholdCrossed', 1, data),
          metadata: {
            correlationId: crossing.causedBy.eventId,
            causationId: crossing.causedBy.eventId,
            actor: { type: 'system', id: 'budgets' },
            organizationId: crossing.budget.organizationId,
            workspaceId: crossing.budget.workspaceId,
            occurredAt: crossing.crossedAt,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    deps.onCrossed?.(data);
  }

  // the counters in step before this transaction commits: a restart repeats these same writes
  const last = events[events.length - 1];
  if (last && (spends.size > 0 || commits.length > 0)) {
    await deps.counters.sync(
      last.position,
      [...spends.values()].map((spend) => ({ suffix: counterSuffix(spend.budgetId, Date.parse(spend.period.start)), spent: unitsUp(spend.total.text()), periodEndMs: Date.parse(spend.period.end) })),
      commits,
    );
  }
}
