import type { BudgetScope } from '@steward/contracts';

/** What a call (or a reservation for one) is: the dimensions a budget's scope may narrow to. */
export interface CallDimensions {
  readonly agent?: string | undefined;
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
  readonly apiKeyId?: string | undefined;
}

const FIELDS = ['agent', 'provider', 'model', 'apiKeyId'] as const;

/** A recorded call counts toward a budget when every field the scope names equals the call's. */
export function scopeCovers(scope: BudgetScope, call: CallDimensions): boolean {
  for (const field of FIELDS) {
    const wanted = scope[field];
    if (wanted !== undefined && wanted !== call[field]) return false;
  }
  return true;
}

/**
 * A reservation falls under a budget unless it names a value the scope excludes: a dimension the
 * reservation leaves out could be anything when the call is made, so the budget must hold it too.
 */
export function scopeMayCover(scope: BudgetScope, reservation: CallDimensions): boolean {
  for (const field of FIELDS) {
    const wanted = scope[field];
    const named = reservation[field];
    if (wanted !== undefined && named !== undefined && wanted !== named) return false;
  }
  return true;
}
