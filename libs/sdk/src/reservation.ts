/** A budget reservation: a hold on a workspace's budgets, committed by a usage record or released. */

/** What `reserve()` asks for. */
export interface ReserveParams {
  /** The call's estimated cost in USD, as exact decimal text (`"0.0125"`), never a number. */
  readonly estimatedCostUsd: string;
  readonly agent?: string;
  readonly provider?: string;
  readonly model?: string;
  /** How long the hold lasts unless committed or released; Steward's default when absent. */
  readonly ttlSeconds?: number;
}

/** Steward's answer to a reservation (201). */
export interface ReservationGranted {
  readonly reservationId: string;
  readonly expiresAt: string;
  readonly remainingUsd: string | null;
  readonly budgetIds?: readonly string[];
}

/**
 * A granted reservation. Commit it by recording the call's usage with its id (`budgetReservationId`,
 * or `withBudget`, which does it), or give it back with `release()`; an unused hold also lapses at
 * `expiresAt`.
 */
export class Reservation {
  readonly id: string;
  /** When the hold lapses (ISO 8601). */
  readonly expiresAt: string;
  /** The least headroom left among the budgets holding it, after this hold, in USD (exact decimal text); null when no budget limits the call. */
  readonly remainingUsd: string | null;
  /** The budgets that hold it. */
  readonly budgetIds: readonly string[];
  private releasing: Promise<boolean> | undefined;

  constructor(
    granted: ReservationGranted,
    private readonly releaser: (id: string) => Promise<boolean>,
  ) {
    this.id = granted.reservationId;
    this.expiresAt = granted.expiresAt;
    this.remainingUsd = granted.remainingUsd ?? null;
    this.budgetIds = granted.budgetIds ?? [];
  }

  /**
   * Gives the hold back. Resolves true when Steward released it, false when it was already gone
   * (released, committed or expired). Calling it again returns the first call's answer.
   */
  release(): Promise<boolean> {
    this.releasing ??= this.releaser(this.id).catch((error: unknown) => {
      this.releasing = undefined; // a failed release may be tried again
      throw error;
    });
    return this.releasing;
  }
}
