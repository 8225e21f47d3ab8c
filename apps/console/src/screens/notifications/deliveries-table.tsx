/**
 * A delivery log: each message with its status, every attempt (status code, latency, error), the last status
 * code, latency and error, when it was queued, and Resend for one delivered or dead.
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Typography from '@mui/material/Typography';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { formatMs } from '../../components/figures';
import { NOTIFICATIONS } from '../../texts';
import type { NotificationMessage } from './notifications.queries';

const STATUS_COLOUR = { pending: 'default', retrying: 'default', delivered: 'success', dead: 'error' } as const;
const columns = NOTIFICATIONS.deliveryColumns;

export function DeliveriesTable({ label, rows, onResend, resending }: { label: string; rows: readonly NotificationMessage[]; onResend?: (message: NotificationMessage) => void; resending?: string }) {
  const COLUMNS: ReadonlyArray<Column<NotificationMessage>> = [
    { id: 'event', label: columns.event, value: (row) => NOTIFICATIONS.eventTypes[row.eventType] ?? row.eventType },
    {
      id: 'status',
      label: columns.status,
      value: (row) => NOTIFICATIONS.statuses[row.status] ?? row.status,
      render: (row) => <Chip size="small" variant="outlined" color={STATUS_COLOUR[row.status]} label={NOTIFICATIONS.statuses[row.status] ?? row.status} />,
    },
    {
      id: 'attempts',
      label: columns.attempts,
      value: (row) => row.attemptCount,
      render: (row) => (
        <Box>
          <Typography variant="body2">{row.attemptCount}</Typography>
          <Box component="ul" sx={{ m: 0, pl: 2 }}>
            {row.attempts.map((attempt) => (
              <Typography component="li" variant="caption" key={`${attempt.round}-${attempt.attempt}`} sx={{ display: 'list-item' }}>
                {`${NOTIFICATIONS.attempt(attempt.round, attempt.attempt)}: ${attempt.statusCode ?? '—'} · ${formatMs(attempt.latencyMs)}${attempt.error ? ` · ${attempt.error}` : ''}`}
              </Typography>
            ))}
          </Box>
        </Box>
      ),
    },
    { id: 'statusCode', label: columns.statusCode, value: (row) => row.lastStatusCode },
    { id: 'latency', label: columns.latency, value: (row) => row.lastLatencyMs, render: (row) => formatMs(row.lastLatencyMs) },
    { id: 'lastError', label: columns.lastError, value: (row) => row.lastError ?? row.deadReason },
    { id: 'queuedAt', label: columns.queuedAt, value: (row) => row.queuedAt, render: (row) => <DateTime value={row.queuedAt} /> },
    ...(onResend !== undefined
      ? [
          {
            id: 'actions',
            label: columns.actions,
            sortable: false,
            exported: false,
            value: () => '',
            render: (row: NotificationMessage) =>
              row.status === 'delivered' || row.status === 'dead' ? (
                <Button size="small" aria-label={NOTIFICATIONS.resendOf(row.id)} loading={resending === row.id} onClick={() => onResend(row)}>
                  {NOTIFICATIONS.resend}
                </Button>
              ) : null,
          } satisfies Column<NotificationMessage>,
        ]
      : []),
  ];
  return <DataTable label={label} rows={rows} columns={COLUMNS} rowKey={(row) => row.id} rowTestId={(row) => `delivery-${row.id}`} />;
}
