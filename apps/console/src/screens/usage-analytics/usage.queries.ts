/**
 * Usage Analytics' reads: the filter bar's state (from the URL) turned into the API's query, and one query per
 * section (summary, timeline, by-model, model statistics, recent usage), all for the same filters.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';
import { wallClockToInstant } from '../../components/time-zones';

type Answer<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer T } } } } } ? T : never;
export type UsageSummary = Answer<'/v1/usage/summary'>;
export type UsageTimeline = Answer<'/v1/usage/timeline'>;
export type UsageByModel = Answer<'/v1/usage/by-model'>;
export type ModelUsage = Answer<'/v1/usage/models'>['items'][number];
export type UsageEventsPage = Answer<'/v1/usage/events'>;
export type UsageEvent = UsageEventsPage['items'][number];

export const PERIODS = ['7d', '30d', '90d', 'custom'] as const;
export type Period = (typeof PERIODS)[number];
export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];
export const EVENTS_PAGE_SIZE = 20;
const EXPORT_PAGE_SIZE = 100;

/** The filter bar as the URL holds it. */
export interface UsageFilters {
  /** A workspace id or `all`. */
  readonly workspace: string;
  readonly organizationId: string | undefined;
  readonly period: Period;
  /** Custom range: `YYYY-MM-DD` days in the time zone, both inclusive. */
  readonly from: string;
  readonly to: string;
  readonly agent: string;
  readonly timeZone: string;
}

type ApiFilters = NonNullable<paths['/v1/usage/summary']['get']['parameters']['query']>;

function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** The API's query for these filters; undefined while a custom range is incomplete or reversed. */
export function apiFilters(filters: UsageFilters): ApiFilters | undefined {
  const base: ApiFilters = {
    workspaceId: filters.workspace,
    ...(filters.workspace === 'all' && filters.organizationId !== undefined ? { organizationId: filters.organizationId } : {}),
    period: filters.period,
    tz: filters.timeZone,
    ...(filters.agent !== '' ? { agent: filters.agent } : {}),
  };
  if (filters.period !== 'custom') return base;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(filters.from) || !/^\d{4}-\d{2}-\d{2}$/.test(filters.to) || filters.from > filters.to) return undefined;
  // whole days in the shown zone: from the start day's midnight to the midnight after the end day
  const from = wallClockToInstant(`${filters.from}T00:00`, filters.timeZone);
  const to = wallClockToInstant(`${nextDay(filters.to)}T00:00`, filters.timeZone);
  if (from === undefined || to === undefined) return undefined;
  return { ...base, from, to };
}

const usageKey = (section: string, query: unknown) => ['usage', section, query] as const;

export function useUsageSummary(query: ApiFilters | undefined) {
  return useQuery({
    queryKey: usageKey('summary', query),
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/usage/summary', { params: { query: query! } })),
  });
}

export function useUsageTimeline(query: ApiFilters | undefined, interval: Interval) {
  return useQuery({
    queryKey: usageKey('timeline', { ...query, interval }),
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/usage/timeline', { params: { query: { ...query!, interval } } })),
  });
}

export function useUsageByModel(query: ApiFilters | undefined) {
  return useQuery({
    queryKey: usageKey('by-model', query),
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/usage/by-model', { params: { query: query! } })),
  });
}

export function useModelUsage(query: ApiFilters | undefined) {
  return useQuery({
    queryKey: usageKey('models', query),
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/usage/models', { params: { query: query! } })),
  });
}

export function useUsageEvents(query: ApiFilters | undefined, page: number) {
  return useQuery({
    queryKey: usageKey('events', { ...query, page }),
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/usage/events', { params: { query: { ...query!, page, pageSize: EVENTS_PAGE_SIZE } } })),
  });
}

/** The agents seen in the period (for the Agent filter's choices): the agents of its latest calls. */
export function useRecentAgents(query: ApiFilters | undefined) {
  const { agent: _agent, ...withoutAgent } = query ?? ({} as ApiFilters);
  return useQuery({
    queryKey: usageKey('agents', withoutAgent),
    enabled: query !== undefined,
    staleTime: 60_000,
    queryFn: async () => {
      const page = await unwrap(api.GET('/v1/usage/events', { params: { query: { ...withoutAgent, page: 1, pageSize: EXPORT_PAGE_SIZE } } }));
      return [...new Set(page.items.map((item) => item.agent))].sort();
    },
  });
}

/** Every call of the filters, page after page (the CSV export of recent usage). */
export async function allUsageEvents(query: ApiFilters): Promise<UsageEvent[]> {
  const all: UsageEvent[] = [];
  for (let page = 1; ; page++) {
    const answer = await unwrap(api.GET('/v1/usage/events', { params: { query: { ...query, page, pageSize: EXPORT_PAGE_SIZE } } }));
    all.push(...answer.items);
    if (page >= answer.pageCount) return all;
  }
}
