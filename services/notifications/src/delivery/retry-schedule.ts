/**
 * When a failed delivery is tried again: the Standard Webhooks (Svix) schedule, about a day and a
 * half in all — 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure — each delay spread by
 * ±20 % jitter so that an endpoint coming back is not met by every retry at once.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `NOTIFICATIONS_RETRY_SCHEDULE`: comma-separated delays (`5s,5m,30m,2h,5h,10h,10h`; a bare number is milliseconds). */
export function parseRetrySchedule(text: string | undefined): readonly number[] {
  if (text === undefined || text.trim() === '') return DEFAULT_RETRY_SCHEDULE_MS;
  return text.split(',').map((raw) => {
    const match = /^\s*(\d+)\s*(ms|s|m|h)?\s*$/.exec(raw);
    if (!match) throw new Error(`NOTIFICATIONS_RETRY_SCHEDULE: "${raw.trim()}" is not a delay such as 5s, 30m or 2h`);
    return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  });
}

/** The delay before retry `retry` (1 = after the first failure), with jitter from `random` (0..1). */
export function retryDelayMs(schedule: readonly number[], retry: number, random: () => number = Math.random): number {
  const base = schedule[Math.min(Math.max(retry, 1), schedule.length) - 1] ?? 0;
  return Math.round(base * (0.8 + 0.4 * random()));
}
