import { DEMO_AGENTS, DEMO_MODELS, demoUsage } from './demo-usage';
import { demoJobs } from './demo-data';

const anchor = new Date('2026-12-07T10:33:18.111Z');

describe('the demo usage', () => {
  const events = demoUsage({ anchor, label: 'production' });

  it('is the same on every run: ids, times and tokens', () => {
    expect(demoUsage({ anchor, label: 'production' })).toEqual(events);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  });

  it('covers the 90 days before the anchor, and nothing after it', () => {
    const times = events.map((event) => Date.parse(String(event.time)));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(anchor.getTime() - 90 * 86_400_000);
    expect(Math.min(...times)).toBeLessThan(anchor.getTime() - 89 * 86_400_000);
    expect(Math.max(...times)).toBeLessThan(anchor.getTime());
    expect(events.length).toBeGreaterThan(20_000);
    expect(events.length).toBeLessThan(40_000);
  });

  it('calls six models of four providers from five agents, about 2 % of them failed', () => {
    expect(new Set(events.map((event) => `${event.provider}/${event.model}`)).size).toBe(DEMO_MODELS.length);
    expect(new Set(events.map((event) => event.provider)).size).toBe(4);
    expect(new Set(events.map((event) => event.agent))).toEqual(new Set(DEMO_AGENTS.map((agent) => agent.name)));
    const errors = events.filter((event) => event.status === 'error');
    expect(errors.length / events.length).toBeGreaterThan(0.01);
    expect(errors.length / events.length).toBeLessThan(0.03);
    expect(errors.every((event) => event.errorType !== undefined && event.outputTokens === 0)).toBe(true);
  });

  it('has a daily rhythm: working hours in New York busier than its nights, weekdays than weekends', () => {
    const localHour = (event: (typeof events)[number]) => new Date(Date.parse(String(event.time)) - 5 * 3_600_000).getUTCHours();
    const day = events.filter((event) => localHour(event) >= 9 && localHour(event) < 17).length;
    const night = events.filter((event) => localHour(event) < 5).length;
    expect(day).toBeGreaterThan(night * 8);
    const weekday = (event: (typeof events)[number]) => new Date(Date.parse(String(event.time)) - 5 * 3_600_000).getUTCDay();
    const weekend = events.filter((event) => weekday(event) === 0 || weekday(event) === 6).length;
    expect(weekend / events.length).toBeLessThan(0.15);
  });

  it('keeps cached and reasoning tokens within the input and output tokens', () => {
    for (const event of events) {
      expect(event.cacheReadInputTokens ?? 0).toBeLessThanOrEqual(event.inputTokens ?? 0);
      expect(event.reasoningOutputTokens ?? 0).toBeLessThanOrEqual(event.outputTokens ?? 0);
    }
  });
});

describe('the demo jobs', () => {
  const jobs = demoJobs(anchor);

  it('use every step type, end in every outcome, and start within the day before the anchor', () => {
    expect(new Set(jobs.flatMap((job) => job.steps.map((step) => step.type)))).toEqual(new Set(['system', 'user_message', 'assistant_response', 'tool_call', 'tool_result']));
    expect(new Set(jobs.map((job) => job.finish?.status ?? 'running'))).toEqual(new Set(['success', 'failed', 'cancelled', 'running']));
    for (const job of jobs) {
      expect(Date.parse(job.startedAt)).toBeGreaterThan(anchor.getTime() - 86_400_000);
      expect(Date.parse(job.startedAt)).toBeLessThan(anchor.getTime());
      if (job.finish) expect(Date.parse(job.finish.endedAt)).toBeGreaterThanOrEqual(Date.parse(job.steps.at(-1)!.at));
    }
    expect(demoJobs(anchor)).toEqual(jobs);
  });
});
