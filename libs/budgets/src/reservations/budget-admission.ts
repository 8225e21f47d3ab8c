import { BudgetErrorCode } from '@steward/contracts';
import { parsePosition } from '@steward/event-store';
import { budgetPeriodAt } from '../periods';
import { scopeMayCover, type CallDimensions } from '../scope';
import type { BudgetDefinitionRow, BudgetReadRepository } from '../read-models/budget-read.repository';
import { counterSuffix, type BudgetCounters, type CounterRef } from './budget-counters';
import { unitsDown, unitsUp, usdOfUnits } from './counter-units';
import type { HoldHorizon } from './hold-horizon';

export const DEFAULT_RESERVATION_TTL_SECONDS = 300;
export const MAX_RESERVATION_TTL_SECONDS = 3600;

/** A reservation refused or not answerable; `code` maps to the HTTP status (BUDGET_ERROR_HTTP_STATUS). */
export class BudgetAdmissionError extends Error {
  override readonly name = 'BudgetAdmissionError';
  constructor(
    readonly code: BudgetErrorCode,
    message: string,
    /** Members of the problem document (the budget exceeded, its headroom). */
    readonly extensions: Readonly<Record<string, unknown>> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ReservationRequest {
  readonly workspaceId: string;
  readonly reservationId: string;
  /** USD, exact text, positive. */
  readonly estimatedCostUsd: string;
  readonly call: CallDimensions;
  readonly ttlSeconds?: number | undefined;
}

export interface Reservation {
  readonly reservationId: string;
  readonly expiresAt: string;
  /** The least headroom left among the block budgets held on, after this hold; null: no block budget applies. */
  readonly remainingUsd: string | null;
  readonly budgetIds: string[];
}

/** Stale workspaces' block budgets gathered this long, then read again in one statement. */
const REFRESH_WINDOW_MS = 20;

export interface BudgetAdmissionDeps {
  readonly counters: BudgetCounters;
  readonly reads: BudgetReadRepository;
  readonly horizon: HoldHorizon;
  /** How long a workspace's block budgets are kept in memory (a change is enforced at most this late). Default 1 s. */
  readonly budgetsTtlMs?: number;
  readonly now?: () => number;
}

/**
 * Admission of reservations against a workspace's `block` budgets: every
 * budget the call may fall under (its current period in the budget's zone)
 * takes the hold, or none does (one Lua script). Spend + live holds never pass
 * a limit; a hold that fits is never refused. Holds expire by themselves
 * (purged by the next admission on the budget), are released by DELETE, and
 * are replaced by the actual cost when the spend reactor counts the usage
 * that carries their id. A counter missing from the store is created from the
 * spend read model; a store that lost its counters answers 503 until every
 * hold it may have held has expired (HoldHorizon).
 */
export class BudgetAdmission {
  private readonly budgets = new Map<string, { at: number; rows: Promise<BudgetDefinitionRow[]> }>();
  private readonly stale = new Set<string>();
  private refreshing: NodeJS.Timeout | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly deps: BudgetAdmissionDeps) {
    this.ttlMs = deps.budgetsTtlMs ?? 1000;
    this.now = deps.now ?? Date.now;
  }

  async reserve(request: ReservationRequest): Promise<Reservation> {
    const now = this.now();
    const ttl = request.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
    const expiresAt = now + ttl * 1000;
    const amount = unitsUp(request.estimatedCostUsd);
    const applicable = (await this.blockBudgets(request.workspaceId, now)).filter((budget) => scopeMayCover(budget.scope, request.call));
    const refs: CounterRef[] = applicable.map((budget) => {
      const period = budgetPeriodAt(budget.period, budget.timeZone, now);
      return { suffix: counterSuffix(budget.id, Date.parse(period.start)), budgetId: budget.id, limit: unitsDown(budget.limitUsd), periodEndMs: Date.parse(period.end), periodStart: period.start } as CounterRef & { periodStart: string };
    });
    for (let attempt = 0; attempt < 6; attempt++) {
      const at = attempt === 0 ? now : this.now();
      const answer = await this.deps.counters.admit({ now: at, id: request.reservationId, amount, expiresAt, workspaceId: request.workspaceId, refs });
      switch (answer.kind) {
        case 'ok':
          return { reservationId: request.reservationId, expiresAt: new Date(expiresAt).toISOString(), remainingUsd: refs.length === 0 ? null : usdOfUnits(answer.remaining), budgetIds: refs.map((ref) => ref.budgetId) };
        case 'refused': {
          const budget = applicable.find((candidate) => candidate.id === answer.budgetId);
          const remainingUsd = usdOfUnits(Math.max(0, answer.headroom));
          throw new BudgetAdmissionError(
            BudgetErrorCode.Exceeded,
            `the reservation of ${request.estimatedCostUsd} USD would exceed budget "${budget?.name ?? answer.budgetId}" (${budget?.period ?? ''} limit ${budget?.limitUsd ?? '?'} USD): ${remainingUsd} USD left in this period`,
            { budget: { id: answer.budgetId, name: budget?.name ?? null, limitUsd: budget?.limitUsd ?? null, period: budget?.period ?? null }, remainingUsd, estimatedCostUsd: request.estimatedCostUsd },
          );
        }
        case 'load':
          await this.load(answer.suffixes, refs as Array<CounterRef & { periodStart: string }>);
          break;
        case 'rebuild': {
          const readyAt = answer.readyAt > 0 ? answer.readyAt : await this.deps.counters.openEpoch(Math.max(at, await this.deps.horizon.until(this.deps.counters.prefix)));
          // opened now (by this request or a concurrent one): try again at once
          if (readyAt <= this.now()) break;
          throw new BudgetAdmissionError(
            BudgetErrorCode.CountersRebuilding,
            'the budget counters are being rebuilt after their store was lost: reservations resume once every hold it held has expired',
            {},
            Math.ceil((readyAt - this.now()) / 1000),
          );
        }
        case 'cover':
          await this.deps.counters.covered(await this.deps.horizon.raise(this.deps.counters.prefix, expiresAt));
          break;
        case 'exists':
          throw new BudgetAdmissionError(BudgetErrorCode.Conflict, `reservation ${request.reservationId} exists already`);
        default: {
          const _exhaustive: never = answer;
          throw new Error(`unexpected admission answer ${String(_exhaustive)}`);
        }
      }
    }
    throw new BudgetAdmissionError(BudgetErrorCode.Unavailable, 'the budget counters did not settle: retry', {}, 1);
  }

  /** Releases a hold of this workspace; false: no such reservation here. */
  release(workspaceId: string, reservationId: string): Promise<boolean> {
    return this.deps.counters.release(workspaceId, reservationId);
  }

  /** Forgets the cached budgets of a workspace (after a change through this process). */
  forget(workspaceId: string): void {
    this.budgets.delete(workspaceId);
  }

  /**
   * A workspace's block budgets: read once, then served from memory and read again in the background once
   * older than the TTL (a definition change is enforced at most about a TTL late; the hot path never waits
   * on PostgreSQL after the first call).
   */
  private blockBudgets(workspaceId: string, now: number): Promise<BudgetDefinitionRow[]> {
    const cached = this.budgets.get(workspaceId);
    if (cached && now - cached.at < this.ttlMs) return cached.rows;
    if (cached) {
      // stale: keep answering from what is known while the fresh read runs, swap it in once it has arrived
      cached.at = now;
      this.refreshSoon(workspaceId);
      return cached.rows;
    }
    const rows = this.deps.reads.blockBudgets(workspaceId);
    if (this.budgets.size > 50_000) this.budgets.clear();
    rows.catch(() => this.budgets.delete(workspaceId));
    this.budgets.set(workspaceId, { at: now, rows });
    return rows;
  }

  /**
   * Stale workspaces are read again together, one statement per REFRESH_WINDOW_MS: with thousands of
   * workspaces in use, one read per workspace per TTL was a steady stream of small queries on the very
   * process and pool that admit reservations (and their tail latency).
   */
  private refreshSoon(workspaceId: string): void {
    this.stale.add(workspaceId);
    if (this.refreshing) return;
    this.refreshing = setTimeout(() => {
      const ids = [...this.stale];
      this.stale.clear();
      this.refreshing = undefined;
      const at = this.now();
      // an entry forgotten (a change through this process) or read anew meanwhile is left as it is
      const entries = new Map(ids.map((id) => [id, this.budgets.get(id)]));
      const current = (id: string) => entries.get(id) !== undefined && this.budgets.get(id) === entries.get(id);
      this.deps.reads.blockBudgetsOf(ids).then(
        (fresh) => {
          for (const [id, rows] of fresh) if (current(id)) this.budgets.set(id, { at, rows: Promise.resolve(rows) });
        },
        () => {
          for (const id of ids) if (current(id)) this.budgets.delete(id);
        },
      );
    }, REFRESH_WINDOW_MS);
    this.refreshing.unref?.();
  }

  private async load(suffixes: readonly string[], refs: ReadonlyArray<CounterRef & { periodStart: string }>): Promise<void> {
    for (const suffix of suffixes) {
      const ref = refs.find((candidate) => candidate.suffix === suffix);
      if (!ref) continue;
      const spend = await this.deps.reads.spend(ref.budgetId, ref.periodStart);
      await this.deps.counters.load(suffix, unitsUp(spend.spendUsd), spend.through ? parsePosition(spend.through) : undefined, ref.periodEndMs);
    }
  }
}
