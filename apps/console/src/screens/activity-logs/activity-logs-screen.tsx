/**
 * Activity Logs (dashboard guide: "complete audit trail with advanced filtering and export"): filters and search
 * in the URL, newest first, pages by cursor (each page a history entry, so Back returns to the previous one),
 * and the same filters exported as CSV by the API.
 */
import DownloadIcon from '@mui/icons-material/Download';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useParams } from 'react-router';
import { useWorkspaces } from '../../api/account.queries';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';
import { saveFile } from '../../components/csv';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime, useTimeZone } from '../../components/dates';
import { Empty, QueryState } from '../../components/query-state';
import { instantToWallClock, wallClockToInstant } from '../../components/time-zones';
import { useUrlState, useUrlTextField } from '../../routing/url-state';
import { ACTIVITY_ACTION_LABELS, ACTIVITY_LOGS } from '../../texts';

const ACTIONS = ['create', 'update', 'delete', 'fetch', 'fetch_all'] as const;
const ACTOR_TYPES = ['user', 'api_key', 'service', 'system'] as const;
const OUTCOMES = ['success', 'failure'] as const;
const FILTERS = ['q', 'resourceType', 'action', 'actor', 'actorType', 'outcome', 'workspaceId', 'from', 'to', 'cursor'] as const;
const PAGE_SIZE = 50;

type Filters = Record<(typeof FILTERS)[number], string>;

function oneOf<T extends string>(values: readonly T[], value: string): T | undefined {
  return (values as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** The API's query for these filters (without the cursor): the list and the export ask the same question. */
function apiQuery(filters: Filters) {
  const action = oneOf(ACTIONS, filters.action);
  const actorType = oneOf(ACTOR_TYPES, filters.actorType);
  const outcome = oneOf(OUTCOMES, filters.outcome);
  return {
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.resourceType ? { resourceType: filters.resourceType } : {}),
    ...(action ? { action } : {}),
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(actorType ? { actorType } : {}),
    ...(outcome ? { outcome } : {}),
    ...(filters.workspaceId ? { workspaceId: filters.workspaceId } : {}),
    ...(filters.from ? { from: filters.from } : {}),
    ...(filters.to ? { to: filters.to } : {}),
  };
}

function SelectFilter({ label, value, options, onChange, labels }: { label: string; value: string; options: readonly string[]; onChange: (value: string) => void; labels?: Readonly<Record<string, string>> }) {
  return (
    <TextField select size="small" label={label} value={options.includes(value) ? value : ''} onChange={(event) => onChange(event.target.value)} sx={{ minWidth: 150 }}>
      <MenuItem value="">{ACTIVITY_LOGS.all}</MenuItem>
      {options.map((option) => (
        <MenuItem key={option} value={option}>
          {labels?.[option] ?? option}
        </MenuItem>
      ))}
    </TextField>
  );
}

type Entry = paths['/v1/organizations/{orgId}/activity']['get']['responses'][200]['content']['application/json']['items'][number];

const COLUMNS: ReadonlyArray<Column<Entry>> = [
  { id: 'timestamp', label: ACTIVITY_LOGS.columns.timestamp, value: (entry) => entry.occurredAt, render: (entry) => <DateTime value={entry.occurredAt} /> },
  { id: 'resourceType', label: ACTIVITY_LOGS.columns.resourceType, value: (entry) => entry.resourceType },
  { id: 'action', label: ACTIVITY_LOGS.columns.action, value: (entry) => ACTIVITY_ACTION_LABELS[entry.action] ?? entry.action },
  { id: 'actor', label: ACTIVITY_LOGS.columns.actor, value: (entry) => `${entry.actor.type} ${entry.actor.id}` },
  {
    id: 'outcome',
    label: ACTIVITY_LOGS.columns.outcome,
    value: (entry) => entry.outcome,
    render: (entry) => <Chip size="small" variant="outlined" color={entry.outcome === 'success' ? 'success' : 'error'} label={entry.outcome} />,
  },
  { id: 'summary', label: ACTIVITY_LOGS.columns.summary, value: (entry) => entry.summary },
];

export default function ActivityLogsScreen() {
  const { orgId = '' } = useParams();
  const zone = useTimeZone();
  const [filters, setFilters] = useUrlState(FILTERS);
  const workspaces = useWorkspaces(orgId);
  const [search, setSearch] = useUrlTextField(filters.q, useCallback((q: string) => setFilters({ q }, { resetPage: true }), [setFilters]));
  const [resourceType, setResourceType] = useUrlTextField(filters.resourceType, useCallback((resourceType: string) => setFilters({ resourceType }, { resetPage: true }), [setFilters]));
  const [actor, setActor] = useUrlTextField(filters.actor, useCallback((actor: string) => setFilters({ actor }, { resetPage: true }), [setFilters]));
  const query = apiQuery(filters);
  const activity = useQuery({
    queryKey: ['organizations', orgId, 'activity', query, filters.cursor],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/v1/organizations/{orgId}/activity', {
          params: { path: { orgId }, query: { ...query, limit: PAGE_SIZE, ...(filters.cursor ? { cursor: filters.cursor } : {}) } },
        }),
      ),
  });
  const exportCsv = useMutation({
    mutationFn: async () => {
      const blob = await unwrap(api.GET('/v1/organizations/{orgId}/activity/export', { params: { path: { orgId }, query: { ...query, format: 'csv' } }, parseAs: 'blob' }));
      saveFile(blob as unknown as Blob, `activity-${orgId}.csv`);
    },
  });
  const set = (changes: Partial<Filters>) => setFilters(changes, { resetPage: true });
  const dateFilter = (key: 'from' | 'to', label: string) => (
    <TextField
      size="small"
      type="datetime-local"
      label={`${label} (${zone})`}
      value={filters[key] ? instantToWallClock(filters[key], zone) : ''}
      onChange={(event) => set({ [key]: event.target.value === '' ? '' : (wallClockToInstant(event.target.value, zone) ?? '') })}
      slotProps={{ inputLabel: { shrink: true } }}
    />
  );
  return (
    <Stack spacing={3}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="h4" component="h1">
          {ACTIVITY_LOGS.title}
        </Typography>
        <Button variant="outlined" startIcon={<DownloadIcon />} loading={exportCsv.isPending} onClick={() => exportCsv.mutate()}>
          {ACTIVITY_LOGS.exportCsv}
        </Button>
      </Stack>
      {exportCsv.isError && <Alert severity="error">{exportCsv.error.message}</Alert>}
      <Paper component="section" aria-label="Filters" sx={{ p: 2 }}>
        <Stack direction="row" spacing={2} useFlexGap sx={{ flexWrap: 'wrap' }}>
          <TextField size="small" type="search" label={ACTIVITY_LOGS.search} value={search} onChange={(event) => setSearch(event.target.value)} sx={{ minWidth: 240 }} />
          <TextField size="small" label={ACTIVITY_LOGS.resourceType} value={resourceType} onChange={(event) => setResourceType(event.target.value)} />
          <SelectFilter label={ACTIVITY_LOGS.action} value={filters.action} options={ACTIONS} labels={ACTIVITY_ACTION_LABELS} onChange={(action) => set({ action })} />
          <TextField size="small" label={ACTIVITY_LOGS.actor} value={actor} onChange={(event) => setActor(event.target.value)} />
          <SelectFilter label={ACTIVITY_LOGS.actorType} value={filters.actorType} options={ACTOR_TYPES} onChange={(actorType) => set({ actorType })} />
          <SelectFilter label={ACTIVITY_LOGS.outcome} value={filters.outcome} options={OUTCOMES} onChange={(outcome) => set({ outcome })} />
          <TextField select size="small" label={ACTIVITY_LOGS.workspace} value={workspaces.data?.some((w) => w.id === filters.workspaceId) ? filters.workspaceId : ''} onChange={(event) => set({ workspaceId: event.target.value })} sx={{ minWidth: 180 }}>
            <MenuItem value="">{ACTIVITY_LOGS.all}</MenuItem>
            {(workspaces.data ?? []).map((workspace) => (
              <MenuItem key={workspace.id} value={workspace.id}>
                {workspace.name}
              </MenuItem>
            ))}
          </TextField>
          {dateFilter('from', ACTIVITY_LOGS.from)}
          {dateFilter('to', ACTIVITY_LOGS.to)}
        </Stack>
      </Paper>
      <QueryState query={activity} loading={ACTIVITY_LOGS.loading}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{ACTIVITY_LOGS.empty}</Empty>
          ) : (
            <>
              <DataTable label={ACTIVITY_LOGS.title} rows={page.items} rowKey={(entry) => entry.id} columns={COLUMNS} />
              <Stack direction="row" spacing={2}>
                {filters.cursor && <Button onClick={() => setFilters({ cursor: '' })}>{ACTIVITY_LOGS.firstPage}</Button>}
                {page.nextCursor !== null && (
                  <Button variant="outlined" onClick={() => setFilters({ cursor: page.nextCursor ?? '' })}>
                    {ACTIVITY_LOGS.nextPage}
                  </Button>
                )}
              </Stack>
            </>
          )
        }
      </QueryState>
    </Stack>
  );
}
