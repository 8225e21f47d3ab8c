/**
 * Usage Analytics' reads: the filter bar's state (from the URL) turned into the API's query, and one query per
 * section (summary, timeline, by-model, model statistics, recent usage), all for the same filters.
 */
import { type QueryClient, keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';
import { pageFrom } from '../../components/pager';
import { wallClockToInstant } from '../../components/time-zones';
import type { ScreenPlace } from '../../routing/screens';

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

/** The sections' queries (shared by the hooks and by `prefetchUsage`, which asks them before the first render). */
export const usageQueries = {
  summary: (query: ApiFilters) => ({ queryKey: usageKey('summary', query), queryFn: () => unwrap(api.GET('/v1/usage/summary', { params: { query } })) }),
  timeline: (query: ApiFilters, interval: Interval) => ({
    queryKey: usageKey('timeline', { ...query, interval }),
    queryFn: () => unwrap(api.GET('/v1/usage/timeline', { params: { query: { ...query, interval } } })),
  }),
  byModel: (query: ApiFilters) => ({ queryKey: usageKey('by-model', query), queryFn: () => unwrap(api.GET('/v1/usage/by-model', { params: { query } })) }),
  models: (query: ApiFilters) => ({ queryKey: usageKey('models', query), queryFn: () => unwrap(api.GET('/v1/usage/models', { params: { query } })) }),
  events: (query: ApiFilters, page: number) => ({
    queryKey: usageKey('events', { ...query, page }),
    queryFn: () => unwrap(api.GET('/v1/usage/events', { params: { query: { ...query, page, pageSize: EVENTS_PAGE_SIZE } } })),
  }),
  /** The agents seen in the period (for the Agent filter's choices): the agents of its latest calls. */
  agents: (query: ApiFilters) => {
    const { agent: _agent, ...withoutAgent } = query;
    return {
      queryKey: usageKey('agents', withoutAgent),
      staleTime: 60_000,
      queryFn: async () => {
        const page = await unwrap(api.GET('/v1/usage/events', { params: { query: { ...withoutAgent, page: 1, pageSize: EXPORT_PAGE_SIZE } } }));
        return [...new Set(page.items.map((item) => item.agent))].sort();
      },
    };
  },
};

// while the filters are incomplete the query is disabled: its function never runs
const none = {} as ApiFilters;

export function useUsageSummary(query: ApiFilters | undefined) {
  return useQuery({ ...usageQueries.summary(query ?? none), enabled: query !== undefined, placeholderData: keepPreviousData });
}

export function useUsageTimeline(query: ApiFilters | undefined, interval: Interval) {
  return useQuery({ ...usageQueries.timeline(query ?? none, interval), enabled: query !== undefined, placeholderData: keepPreviousData });
}

export function useUsageByModel(query: ApiFilters | undefined) {
  return useQuery({ ...usageQueries.byModel(query ?? none), enabled: query !== undefined, placeholderData: keepPreviousData });
}

export function useModelUsage(query: ApiFilters | undefined) {
  return useQuery({ ...usageQueries.models(query ?? none), enabled: query !== undefined, placeholderData: keepPreviousData });
}

export function useUsageEvents(query: ApiFilters | undefined, page: number) {
  return useQuery({ ...usageQueries.events(query ?? none, page), enabled: query !== undefined, placeholderData: keepPreviousData });
}

export function useRecentAgents(query: ApiFilters | undefined) {
  return useQuery({ ...usageQueries.agents(query ?? none), enabled: query !== undefined });
}

export const USAGE_URL_KEYS = ['ws', 'period', 'from', 'to', 'agent', 'interval', 'page', 'alerts'] as const;
export type UsageUrl = Record<(typeof USAGE_URL_KEYS)[number], string>;

/** What the screen shows for its URL (the route's workspace, the query's filters) in a time zone. */
export function usageView(orgId: string, wsId: string, url: UsageUrl, timeZone: string) {
  const period: Period = (PERIODS as readonly string[]).includes(url.period) ? (url.period as Period) : '30d';
  const interval: Interval = (INTERVALS as readonly string[]).includes(url.interval) ? (url.interval as Interval) : 'day';
  const workspace = url.ws || wsId;
  const filters: UsageFilters = { workspace, organizationId: orgId || undefined, period, from: url.from, to: url.to, agent: url.agent, timeZone };
  return { period, interval, workspace, filters, query: apiFilters(filters) };
}

/** Starts the first page's calls of Usage Analytics (main.tsx, before React renders; the hooks then find them in flight). */
export function prefetchUsage(client: QueryClient, { orgId, wsId, search, timeZone }: ScreenPlace): void {
  const url = Object.fromEntries(USAGE_URL_KEYS.map((key) => [key, search.get(key) ?? ''])) as UsageUrl;
  const { query, interval } = usageView(orgId, wsId, url, timeZone);
  if (query === undefined) return;
  const page = pageFrom(url.page);
  void client.prefetchQuery(usageQueries.summary(query));
  void client.prefetchQuery(usageQueries.timeline(query, interval));
  void client.prefetchQuery(usageQueries.byModel(query));
  void client.prefetchQuery(usageQueries.models(query));
  void client.prefetchQuery(usageQueries.events(query, page));
  void client.prefetchQuery(usageQueries.agents(query));
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
