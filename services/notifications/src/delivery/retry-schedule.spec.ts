import { DEFAULT_RETRY_SCHEDULE_MS, parseRetrySchedule, retryDelayMs } from './retry-schedule';

describe('retry schedule', () => {
  it('is the Standard Webhooks schedule by default: about 33 hours over seven retries', () => {
    expect(parseRetrySchedule(undefined)).toBe(DEFAULT_RETRY_SCHEDULE_MS);
    expect(DEFAULT_RETRY_SCHEDULE_MS.reduce((sum, delay) => sum + delay, 0) / 3_600_000).toBeCloseTo(27.6, 1);
    expect(parseRetrySchedule('5s,5m,30m,2h,5h,10h,10h')).toEqual(DEFAULT_RETRY_SCHEDULE_MS);
  });

  it('takes milliseconds for tests and refuses what it cannot read', () => {
    expect(parseRetrySchedule('200, 300ms')).toEqual([200, 300]);
    expect(() => parseRetrySchedule('5 days')).toThrow('NOTIFICATIONS_RETRY_SCHEDULE');
  });

  it('spreads each delay by at most 20 % either way', () => {
    expect(retryDelayMs([1000, 2000], 1, () => 0)).toBe(800);
    expect(retryDelayMs([1000, 2000], 1, () => 1)).toBe(1200);
    expect(retryDelayMs([1000, 2000], 2, () => 0.5)).toBe(2000);
    expect(retryDelayMs([1000, 2000], 9, () => 0.5)).toBe(2000);
  });
});
