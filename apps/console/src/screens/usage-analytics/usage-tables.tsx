/**
 * Model Usage Statistics and Recent Usage Details (admin guide, part 2): sortable, exported as CSV; a call or
 * model recorded without a price says "pricing not configured" instead of a misleading $0.00.
 */
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { formatCount, formatMs, formatUsd } from '../../components/figures';
import { USAGE_ANALYTICS } from '../../texts';
import type { ModelUsage, UsageEvent } from './usage.queries';

const modelColumns = USAGE_ANALYTICS.modelColumns;
const eventColumns = USAGE_ANALYTICS.eventColumns;

function Unpriced() {
  // the warning hue is on the icon: orange text on white would fail the contrast minimum
  return <Chip size="small" variant="outlined" icon={<WarningAmberIcon color="warning" aria-hidden />} label={USAGE_ANALYTICS.pricingNotConfigured} />;
}

function Cost({ cost, unpriced }: { cost: string; unpriced: boolean }) {
  if (!unpriced) return <>{formatUsd(cost)}</>;
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
      {cost !== '0' && <span>{formatUsd(cost)}</span>}
      <Unpriced />
    </Stack>
  );
}

// the ids differ from the recent-usage table's: both tables keep their sort in the same URL keys
const MODEL_COLUMNS: ReadonlyArray<Column<ModelUsage>> = [
  { id: 'provider', label: modelColumns.provider, value: (row) => row.provider },
  { id: 'model', label: modelColumns.model, value: (row) => row.model },
  { id: 'calls', label: modelColumns.calls, value: (row) => row.calls, render: (row) => formatCount(row.calls) },
  { id: 'tokens', label: modelColumns.tokens, value: (row) => row.tokens.total, render: (row) => formatCount(row.tokens.total) },
  { id: 'cost', label: modelColumns.cost, value: (row) => row.cost, render: (row) => <Cost cost={row.cost} unpriced={row.unpricedCalls > 0} /> },
  { id: 'latency', label: modelColumns.avgResponseTime, value: (row) => row.averageResponseTimeMs, render: (row) => formatMs(row.averageResponseTimeMs) },
];

export function ModelStatisticsTable({ rows, csvName }: { rows: readonly ModelUsage[]; csvName: string }) {
  return (
    <DataTable
      label={USAGE_ANALYTICS.modelStatistics}
      rows={rows}
      columns={MODEL_COLUMNS}
      rowKey={(row) => `${row.provider}/${row.model}`}
      rowTestId={(row) => `model-usage-${row.provider}/${row.model}`}
      exportRows={() => Promise.resolve(rows)}
      csvName={csvName}
      exportLabel={USAGE_ANALYTICS.exportCsv}
    />
  );
}

const EVENT_COLUMNS: ReadonlyArray<Column<UsageEvent>> = [
  { id: 'timestamp', label: eventColumns.timestamp, value: (row) => row.timestamp, render: (row) => <DateTime value={row.timestamp} /> },
  { id: 'agent', label: eventColumns.agent, value: (row) => row.agent },
  { id: 'callModel', label: eventColumns.model, value: (row) => `${row.provider}/${row.model}` },
  {
    id: 'callTokens',
    label: eventColumns.tokens,
    value: (row) => row.tokens.total,
    render: (row) => (
      <>
        {formatCount(row.tokens.total)}
        <Typography component="span" variant="body2" color="text.secondary">
          {' '}
          ({USAGE_ANALYTICS.tokenBreakdown(formatCount(row.tokens.input), formatCount(row.tokens.output))})
        </Typography>
      </>
    ),
  },
  { id: 'callCost', label: eventColumns.cost, value: (row) => (row.priced ? row.cost : USAGE_ANALYTICS.pricingNotConfigured), render: (row) => <Cost cost={row.cost} unpriced={!row.priced} /> },
  { id: 'time', label: eventColumns.time, value: (row) => row.responseTimeMs, render: (row) => formatMs(row.responseTimeMs) },
  {
    id: 'status',
    label: eventColumns.status,
    value: (row) => USAGE_ANALYTICS.statuses[row.status],
    render: (row) => <Chip size="small" variant="outlined" color={row.status === 'success' ? 'success' : 'error'} label={USAGE_ANALYTICS.statuses[row.status]} />,
  },
];

export function RecentUsageTable({ rows, exportRows, csvName }: { rows: readonly UsageEvent[]; exportRows: () => Promise<readonly UsageEvent[]>; csvName: string }) {
  return (
    <DataTable
      label={USAGE_ANALYTICS.recentUsage}
      rows={rows}
      columns={EVENT_COLUMNS}
      rowKey={(row) => row.id}
      rowTestId={(row) => `usage-${row.usageId}`}
      exportRows={exportRows}
      csvName={csvName}
      exportLabel={USAGE_ANALYTICS.exportCsv}
    />
  );
}
