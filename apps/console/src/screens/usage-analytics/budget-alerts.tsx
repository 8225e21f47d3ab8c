/**
 * Usage Analytics → Budget Alerts (admin guide: alert type, message, timestamp): the thresholds crossed and the
 * low credit balances of the filter bar's workspace(s) and period, newest first, with the budget, threshold and
 * spend, in pages (`alerts` in the URL). The guide's troubleshooting advice links to the Budgets screen.
 */
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Link from '@mui/material/Link';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { BudgetAlert } from '../../api/named-types';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { formatDecimal, formatUsd } from '../../components/figures';
import { Pager } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { paths } from '../../routing/paths';
import { BUDGET_ALERTS } from '../../texts';
import type { apiFilters } from './usage.queries';

type ApiFilters = NonNullable<ReturnType<typeof apiFilters>>;

export const ALERTS_PAGE_SIZE = 10;

export function useBudgetAlerts(filters: ApiFilters | undefined, page: number) {
  const query =
    filters === undefined
      ? undefined
      : {
          workspaceId: filters.workspaceId ?? 'all',
          ...(filters.organizationId !== undefined ? { organizationId: filters.organizationId } : {}),
          ...(filters.period !== undefined ? { period: filters.period } : {}),
          ...(filters.from !== undefined ? { from: filters.from } : {}),
          ...(filters.to !== undefined ? { to: filters.to } : {}),
          page,
          pageSize: ALERTS_PAGE_SIZE,
        };
  return useQuery({
    queryKey: ['budget-alerts', query],
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/budget-alerts', { params: { query: query! } })),
  });
}

const COLUMNS: ReadonlyArray<Column<BudgetAlert>> = [
  {
    id: 'type',
    label: BUDGET_ALERTS.columns.type,
    value: (row) => BUDGET_ALERTS.types[row.type] ?? row.type,
    render: (row) => <Chip size="small" variant="outlined" label={BUDGET_ALERTS.types[row.type] ?? row.type} />,
  },
  { id: 'message', label: BUDGET_ALERTS.columns.message, value: (row) => row.message },
  { id: 'budget', label: BUDGET_ALERTS.columns.budget, value: (row) => row.budget?.name ?? null },
  {
    id: 'threshold',
    label: BUDGET_ALERTS.columns.threshold,
    value: (row) => (row.thresholdPercent !== null ? `${row.thresholdPercent}%` : row.threshold !== null ? formatDecimal(row.threshold) : null),
  },
  {
    id: 'spend',
    label: BUDGET_ALERTS.columns.spend,
    value: (row) => row.spendUsd ?? row.balance,
    render: (row) => (row.spendUsd !== null ? (row.limitUsd !== null ? `${formatUsd(row.spendUsd)} / ${formatUsd(row.limitUsd)}` : formatUsd(row.spendUsd)) : row.balance !== null ? formatDecimal(row.balance) : '—'),
  },
  { id: 'timestamp', label: BUDGET_ALERTS.columns.timestamp, value: (row) => row.timestamp, render: (row) => <DateTime value={row.timestamp} /> },
];

export function BudgetAlertsTable({ filters, page, onPage, orgId, wsId }: { filters: ApiFilters | undefined; page: number; onPage: (page: number) => void; orgId: string; wsId: string }) {
  const alerts = useBudgetAlerts(filters, page);
  return (
    <QueryState query={alerts} loading={BUDGET_ALERTS.loading}>
      {(answer) => (
        <Stack spacing={2}>
          {answer.items.length === 0 ? (
            <Empty>{BUDGET_ALERTS.empty}</Empty>
          ) : (
            <>
              <Box>
                <DataTable label={BUDGET_ALERTS.title} rows={answer.items} columns={COLUMNS} rowKey={(row) => row.id} rowTestId={(row) => `budget-alert-${row.id}`} />
              </Box>
              <Pager label={`${BUDGET_ALERTS.title} pages`} page={answer.page} pageCount={answer.pageCount} texts={BUDGET_ALERTS} onPage={onPage} />
            </>
          )}
          <Typography variant="body2" color="text.secondary">
            {BUDGET_ALERTS.troubleshooting}{' '}
            <Link component={RouterLink} to={paths.workspace(orgId, wsId, 'budgets')}>
              {BUDGET_ALERTS.reviewBudgets}
            </Link>
          </Typography>
        </Stack>
      )}
    </QueryState>
  );
}
