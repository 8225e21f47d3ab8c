import { safeParseUsageEvent, type UsageEvent } from '@steward/contracts';
import type { z } from 'zod';

/** Why one item of a batch was refused: `field` is named from the body (`body.events.3.inputTokens`). */
export interface ItemError {
  readonly index: number;
  readonly field: string;
  readonly reason: string;
}

export interface ItemsVerdict {
  /** The accepted events, in the order they came, defaults applied. */
  readonly valid: UsageEvent[];
  /** How many items were refused (an item may have several errors). */
  readonly rejected: number;
  readonly errors: ItemError[];
}

/** The problems of one item, each named `<prefix>.<path>`; unknown fields one by one. */
export function issuesOf(error: z.ZodError, prefix: string): Array<{ field: string; reason: string }> {
  const issues: Array<{ field: string; reason: string }> = [];
  for (const issue of error.issues) {
    const path = issue.path.map((segment) => String(segment));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ field: [prefix, ...path, key].join('.'), reason: 'unknown field' });
    } else {
      issues.push({ field: [prefix, ...path].join('.'), reason: issue.message });
    }
  }
  return issues;
}

/**
 * Validates each item with UsageEventSchema on its own: the valid ones are
 * accepted, each invalid one is refused with its index and every bad field.
 * `prefix` names the array in the body (`body.events`).
 */
export function validateUsageItems(items: readonly unknown[], prefix: string): ItemsVerdict {
  const valid: UsageEvent[] = [];
  const errors: ItemError[] = [];
  let rejected = 0;
  items.forEach((item, index) => {
    const result = safeParseUsageEvent(item);
    if (result.success) {
      valid.push(result.data);
      return;
    }
    rejected++;
    for (const issue of issuesOf(result.error, `${prefix}.${index}`)) errors.push({ index, ...issue });
  });
  return { valid, rejected, errors };
}
