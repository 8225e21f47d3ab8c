/**
 * Budgets (issue 15; workspace-scoped): each budget with its scope, period, the current period's spend against its
 * limit, thresholds and enforcement; Add Budget, Edit and Delete (confirmed) for owners, admins and billing
 * members. Every other member reads the list, with no write control. The page lives in the URL.
 */
import AddIcon from '@mui/icons-material/Add';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { useParams } from 'react-router';
import { ApiProblem } from '../../api/client';
import { type Column, DataTable } from '../../components/data-table';
import { formatUsd } from '../../components/figures';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { useConsolePlace } from '../../components/workspace-context';
import { useUrlState } from '../../routing/url-state';
import { BUDGETS } from '../../texts';
import { BudgetDialog } from './budget-dialog';
import { type Budget, mayWriteBudgets, useBudgets, useRemoveBudget } from './budgets.queries';

const columns = BUDGETS.columns;

export function scopeText(budget: Budget): string {
  const { agent, provider, model, apiKeyId } = budget.scope;
  const parts = [agent !== undefined ? `${BUDGETS.agent}: ${agent}` : '', provider !== undefined || model !== undefined ? [provider, model].filter(Boolean).join('/') : '', apiKeyId ?? ''].filter(Boolean);
  return parts.length === 0 ? BUDGETS.wholeWorkspace : parts.join(', ');
}

function SpendCell({ budget }: { budget: Budget }) {
  // only the bar's length goes through a number; the figures are the API's exact text
  const share = Math.min(100, (Number(budget.current.spendUsd) / Number(budget.limitUsd)) * 100 || 0);
  const over = Number(budget.current.spendUsd) >= Number(budget.limitUsd);
  return (
    <Stack spacing={0.5} sx={{ minWidth: 180 }}>
      <Typography variant="body2" data-testid={`budget-spend-${budget.id}`}>
        {BUDGETS.spendOf(formatUsd(budget.current.spendUsd), formatUsd(budget.limitUsd))}
      </Typography>
      <LinearProgress variant="determinate" value={share} color={over ? 'error' : share >= 80 ? 'warning' : 'primary'} aria-label={BUDGETS.usedPercent(budget.name)} />
      <Typography variant="caption" color="text.secondary">
        {`${budget.current.period.label} · ${BUDGETS.remaining(formatUsd(budget.current.remainingUsd))}`}
      </Typography>
    </Stack>
  );
}

export default function BudgetsScreen() {
  const { wsId = '' } = useParams();
  const place = useConsolePlace();
  const canWrite = mayWriteBudgets(place.role);
  const [url, setUrl] = useUrlState(['page'] as const);
  const page = pageFrom(url.page);
  const budgets = useBudgets(wsId, page);
  const remove = useRemoveBudget(wsId);
  const [editing, setEditing] = useState<Budget | 'new' | undefined>();
  const [deleting, setDeleting] = useState<Budget | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const restricted = budgets.error instanceof ApiProblem && budgets.error.status === 403;

  const COLUMNS: ReadonlyArray<Column<Budget>> = [
    { id: 'name', label: columns.name, value: (row) => row.name },
    { id: 'scope', label: columns.scope, value: (row) => scopeText(row) },
    { id: 'period', label: columns.period, value: (row) => BUDGETS.periods[row.period] },
    { id: 'spend', label: columns.spend, value: (row) => row.current.spendUsd, render: (row) => <SpendCell budget={row} /> },
    { id: 'thresholds', label: columns.thresholds, value: (row) => row.thresholds.map((threshold) => `${threshold}%`).join(', ') },
    {
      id: 'enforcement',
      label: columns.enforcement,
      value: (row) => BUDGETS.enforcementShort[row.enforcement],
      render: (row) => <Chip size="small" variant="outlined" color={row.enforcement === 'block' ? 'error' : 'default'} label={BUDGETS.enforcementShort[row.enforcement]} />,
    },
    ...(canWrite
      ? [
          {
            id: 'actions',
            label: columns.actions,
            sortable: false,
            exported: false,
            value: () => '',
            render: (row: Budget) => (
              <Stack direction="row" spacing={1}>
                <Button size="small" aria-label={BUDGETS.edit(row.name)} onClick={() => setEditing(row)}>
                  {BUDGETS.editShort}
                </Button>
                <Button size="small" color="error" aria-label={BUDGETS.deleteOf(row.name)} onClick={() => setDeleting(row)}>
                  {BUDGETS.deleteShort}
                </Button>
              </Stack>
            ),
          } satisfies Column<Budget>,
        ]
      : []),
  ];

  return (
    <Stack spacing={3}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="h4" component="h1">
          {BUDGETS.title}
        </Typography>
        {canWrite && !restricted && (
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')}>
            {BUDGETS.addBudget}
          </Button>
        )}
      </Stack>
      {!canWrite && !restricted && place.role !== undefined && <Alert severity="info">{BUDGETS.readOnly}</Alert>}
      <QueryState query={budgets} loading={BUDGETS.loading}>
        {(result) =>
          result.items.length === 0 ? (
            <Empty>{BUDGETS.empty}</Empty>
          ) : (
            <Stack spacing={2}>
              <Box>
                <DataTable label={BUDGETS.title} rows={result.items} columns={COLUMNS} rowKey={(row) => row.id} rowTestId={(row) => `budget-${row.id}`} />
              </Box>
              <Pager label={`${BUDGETS.title} pages`} page={result.page} pageCount={result.pageCount} texts={BUDGETS} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
            </Stack>
          )
        }
      </QueryState>
      {editing !== undefined && (
        <BudgetDialog
          workspaceId={wsId}
          {...(editing !== 'new' ? { budget: editing } : {})}
          onClose={() => setEditing(undefined)}
          onSaved={(message) => {
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      {deleting !== undefined && (
        <Dialog open onClose={() => setDeleting(undefined)} aria-labelledby="budget-delete-title" aria-describedby="budget-delete-text">
          <DialogTitle id="budget-delete-title">{BUDGETS.deleteTitle(deleting.name)}</DialogTitle>
          <DialogContent>
            {remove.error !== null && <Alert severity="error">{remove.error.message}</Alert>}
            <DialogContentText id="budget-delete-text">{BUDGETS.deleteExplained}</DialogContentText>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setDeleting(undefined)}>{BUDGETS.cancel}</Button>
            <Button
              color="error"
              variant="contained"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(deleting.id, {
                  onSuccess: () => {
                    setNotice(BUDGETS.deleted(deleting.name));
                    setDeleting(undefined);
                  },
                })
              }
            >
              {BUDGETS.confirmDelete}
            </Button>
          </DialogActions>
        </Dialog>
      )}
      <Snackbar open={notice !== undefined} autoHideDuration={6000} onClose={() => setNotice(undefined)} message={notice} />
    </Stack>
  );
}
