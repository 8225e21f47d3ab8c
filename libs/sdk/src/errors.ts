/**
 * What StewardClient's calls throw. Every refusal carries the HTTP status and the problem document
 * (RFC 9457, `application/problem+json`) as Steward sent it; a 402 on a reservation is a
 * BudgetExceededError naming the budget.
 */

/** A problem document: the standard members, and whatever else the route adds. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly [member: string]: unknown;
}

export enum StewardErrorCode {
  /** Steward refused the request (a 4xx other than 429): sending it again would not help. */
  Refused = 'REFUSED',
  /** Every attempt failed with 429, 5xx, a timeout or no answer: the outcome is unknown. */
  GaveUp = 'GAVE_UP',
  /** A reservation would take a budget past its limit (402). */
  BudgetExceeded = 'BUDGET_EXCEEDED',
  /** withBudget: the call ran, but its usage could not be recorded (see UsageNotRecordedError). */
  UsageNotRecorded = 'USAGE_NOT_RECORDED',
}

export class StewardRequestError extends Error {
  constructor(
    readonly code: StewardErrorCode,
    message: string,
    /** The last answer's status; undefined when there was none (network error, timeout). */
    readonly status: number | undefined,
    /** The problem document, or the last network error's message. */
    readonly problem: Problem | undefined,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'StewardRequestError';
  }
}

/**
 * A reservation Steward refused with 402: the estimate would exceed a budget. `budgetId` (the
 * problem's `budgetId`, or its `budget.id`) and `remainingUsd` (exact decimal text) are read from
 * the problem when it carries them; the whole problem is in `problem`.
 */
export class BudgetExceededError extends StewardRequestError {
  readonly budgetId: string | undefined;
  readonly remainingUsd: string | undefined;

  constructor(problem: Problem | undefined, method: string, path: string) {
    const budget = problem?.['budget'];
    const nestedId = typeof budget === 'object' && budget !== null ? (budget as { id?: unknown }).id : undefined;
    const candidateId = problem?.['budgetId'] ?? nestedId;
    const budgetId = typeof candidateId === 'string' ? candidateId : undefined;
    const remainingUsd = typeof problem?.['remainingUsd'] === 'string' ? problem['remainingUsd'] : undefined;
    const detail = problem?.detail ?? `a budget${budgetId ? ` (${budgetId})` : ''} would be exceeded${remainingUsd !== undefined ? `: ${remainingUsd} USD left` : ''}`;
    super(StewardErrorCode.BudgetExceeded, detail, 402, problem, method, path);
    this.name = 'BudgetExceededError';
    this.budgetId = budgetId;
    this.remainingUsd = remainingUsd;
  }
}

/**
 * withBudget ran the call but Steward did not take its usage. `result` is the call's result, so it
 * is not lost. `released` says whether the reservation was released: it is when Steward refused
 * the record (nothing was recorded); when the outcome is unknown (GaveUp: the record may have
 * arrived and committed it), the hold is left to expire.
 */
export class UsageNotRecordedError<T = unknown> extends Error {
  readonly code = StewardErrorCode.UsageNotRecorded;

  constructor(
    readonly result: T,
    readonly usageId: string,
    readonly reservationId: string,
    readonly released: boolean,
    override readonly cause: StewardRequestError,
  ) {
    super(`the usage of reservation ${reservationId} was not recorded: ${cause.message}`);
    this.name = 'UsageNotRecordedError';
  }
}
