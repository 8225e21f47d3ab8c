/**
 * Notification Channels (issue 15; organization-wide; owners, admins and billing members): each channel with its
 * target, events, status and secret hint; Add Channel (a webhook's whsec_ secret shown once, with a copy button),
 * Send test, Rotate secret (shown once again), Enable / Disable, Delete (confirmed); per channel its delivery log
 * (attempts, status codes, latency, last error) with Resend; the organization's dead letters with Resend. The
 * open log and the pages are in the URL. Anyone else gets the guide's "Access Restricted" from the API's 403.
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
import Paper from '@mui/material/Paper';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { type ReactNode, useState } from 'react';
import { useParams } from 'react-router';
import { ApiProblem } from '../../api/client';
import { type Column, DataTable } from '../../components/data-table';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { useUrlState } from '../../routing/url-state';
import { NOTIFICATIONS } from '../../texts';
import { ChannelDialog, SecretDialog } from './channel-dialog';
import { DeliveriesTable } from './deliveries-table';
import {
  type NotificationChannel,
  useChannelDeliveries,
  useChannels,
  useDeadLetters,
  useDeleteChannel,
  useResend,
  useRotateSecret,
  useTestChannel,
  useUpdateChannel,
} from './notifications.queries';

const columns = NOTIFICATIONS.columns;

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper component="section" aria-label={title} sx={{ p: 2, minWidth: 0 }}>
      <Typography component="h2" variant="h6" sx={{ mb: 1 }}>
        {title}
      </Typography>
      {children}
    </Paper>
  );
}

function DeliveryLogDialog({ orgId, channel, onClose, onNotice }: { orgId: string; channel: NotificationChannel; onClose: () => void; onNotice: (text: string) => void }) {
  const [page, setPage] = useState(1);
  const deliveries = useChannelDeliveries(orgId, channel.id, page);
  const resend = useResend(orgId);
  const title = NOTIFICATIONS.deliveriesOf(channel.name);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="lg" aria-labelledby="deliveries-dialog-title">
      <DialogTitle id="deliveries-dialog-title">{title}</DialogTitle>
      <DialogContent dividers>
        {resend.error !== null && <Alert severity="error">{resend.error.message}</Alert>}
        <QueryState query={deliveries}>
          {(answer) =>
            answer.items.length === 0 ? (
              <Empty>{NOTIFICATIONS.noDeliveries}</Empty>
            ) : (
              <Stack spacing={2}>
                <Box>
                  <DeliveriesTable label={NOTIFICATIONS.deliveryLog} rows={answer.items} resending={resend.isPending ? resend.variables : undefined} onResend={(message) => resend.mutate(message.id, { onSuccess: () => onNotice(NOTIFICATIONS.resent) })} />
                </Box>
                <Pager label={`${NOTIFICATIONS.deliveryLog} pages`} page={answer.page} pageCount={answer.pageCount} texts={NOTIFICATIONS} onPage={setPage} />
              </Stack>
            )
          }
        </QueryState>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{NOTIFICATIONS.close}</Button>
      </DialogActions>
    </Dialog>
  );
}

export default function NotificationChannelsScreen() {
  const { orgId = '' } = useParams();
  const [url, setUrl] = useUrlState(['page', 'log', 'dead'] as const);
  const channels = useChannels(orgId, pageFrom(url.page));
  const restricted = channels.error instanceof ApiProblem && channels.error.status === 403;
  const deadLetters = useDeadLetters(orgId, pageFrom(url.dead), channels.isSuccess);
  const update = useUpdateChannel(orgId);
  const remove = useDeleteChannel(orgId);
  const rotate = useRotateSecret(orgId);
  const test = useTestChannel(orgId);
  const resend = useResend(orgId);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | undefined>();
  const [deleting, setDeleting] = useState<NotificationChannel | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const actionError = [update, rotate, test].find((mutation) => mutation.error !== null)?.error;
  const logChannel = channels.data?.items.find((channel) => channel.id === url.log);

  const COLUMNS: ReadonlyArray<Column<NotificationChannel>> = [
    { id: 'name', label: columns.name, value: (row) => row.name },
    { id: 'kind', label: columns.kind, value: (row) => NOTIFICATIONS.kinds[row.kind] },
    { id: 'target', label: columns.target, value: (row) => (row.kind === 'email' ? row.recipients.join(', ') : (row.url ?? row.secretHint ?? '—')) },
    { id: 'events', label: columns.events, value: (row) => row.events.map((type) => NOTIFICATIONS.eventTypes[type] ?? type).join(', ') },
    {
      id: 'status',
      label: columns.status,
      value: (row) => (row.enabled ? NOTIFICATIONS.enabled : NOTIFICATIONS.disabled),
      render: (row) =>
        row.enabled ? (
          <Chip size="small" color="success" variant="outlined" label={NOTIFICATIONS.enabled} />
        ) : (
          <Chip size="small" variant="outlined" label={row.disabledReason ? NOTIFICATIONS.disabledBecause(row.disabledReason) : NOTIFICATIONS.disabled} />
        ),
    },
    { id: 'secret', label: columns.secret, value: (row) => (row.kind === 'webhook' ? row.secretHint : null) },
    {
      id: 'actions',
      label: columns.actions,
      sortable: false,
      exported: false,
      value: () => '',
      render: (row) => (
        <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap' }}>
          <Button size="small" aria-label={NOTIFICATIONS.testOf(row.name)} disabled={!row.enabled} loading={test.isPending && test.variables === row.id} onClick={() => test.mutate(row.id, { onSuccess: () => setNotice(NOTIFICATIONS.testQueued(row.name)) })}>
            {NOTIFICATIONS.test}
          </Button>
          <Button size="small" aria-label={NOTIFICATIONS.deliveriesOf(row.name)} onClick={() => setUrl({ log: row.id })}>
            {NOTIFICATIONS.deliveryLog}
          </Button>
          {row.kind === 'webhook' && (
            <Button size="small" aria-label={NOTIFICATIONS.rotateOf(row.name)} loading={rotate.isPending && rotate.variables === row.id} onClick={() => rotate.mutate(row.id, { onSuccess: (answer) => setSecret({ name: row.name, secret: answer.secret }) })}>
              {NOTIFICATIONS.rotate}
            </Button>
          )}
          <Button
            size="small"
            aria-label={row.enabled ? NOTIFICATIONS.disableOf(row.name) : NOTIFICATIONS.enableOf(row.name)}
            loading={update.isPending && update.variables?.id === row.id}
            onClick={() => update.mutate({ id: row.id, body: { enabled: !row.enabled } })}
          >
            {row.enabled ? NOTIFICATIONS.disable : NOTIFICATIONS.enable}
          </Button>
          <Button size="small" color="error" aria-label={NOTIFICATIONS.deleteOf(row.name)} onClick={() => setDeleting(row)}>
            {NOTIFICATIONS.deleteShort}
          </Button>
        </Stack>
      ),
    },
  ];

  return (
    <Stack spacing={3}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="h4" component="h1">
          {NOTIFICATIONS.title}
        </Typography>
        {!restricted && channels.isSuccess && (
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setCreating(true)}>
            {NOTIFICATIONS.addChannel}
          </Button>
        )}
      </Stack>
      {actionError != null && <Alert severity="error">{actionError.message}</Alert>}
      <QueryState query={channels} loading={NOTIFICATIONS.loading}>
        {(result) => (
          <Stack spacing={3}>
            {result.items.length === 0 ? (
              <Empty>{NOTIFICATIONS.empty}</Empty>
            ) : (
              <Stack spacing={2}>
                <Box>
                  <DataTable label={NOTIFICATIONS.title} rows={result.items} columns={COLUMNS} rowKey={(row) => row.id} rowTestId={(row) => `channel-${row.id}`} />
                </Box>
                <Pager label={`${NOTIFICATIONS.title} pages`} page={result.page} pageCount={result.pageCount} texts={NOTIFICATIONS} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
              </Stack>
            )}
            <Section title={NOTIFICATIONS.deadLetters}>
              <QueryState query={deadLetters}>
                {(dead) =>
                  dead.items.length === 0 ? (
                    <Empty>{NOTIFICATIONS.noDeadLetters}</Empty>
                  ) : (
                    <Stack spacing={2}>
                      {resend.error !== null && <Alert severity="error">{resend.error.message}</Alert>}
                      <Box>
                        <DeliveriesTable label={NOTIFICATIONS.deadLetters} rows={dead.items} resending={resend.isPending ? resend.variables : undefined} onResend={(message) => resend.mutate(message.id, { onSuccess: () => setNotice(NOTIFICATIONS.resent) })} />
                      </Box>
                      <Pager label={`${NOTIFICATIONS.deadLetters} pages`} page={dead.page} pageCount={dead.pageCount} texts={NOTIFICATIONS} onPage={(next) => setUrl({ dead: next === 1 ? '' : String(next) })} />
                    </Stack>
                  )
                }
              </QueryState>
            </Section>
          </Stack>
        )}
      </QueryState>
      {creating && (
        <ChannelDialog
          orgId={orgId}
          onClose={() => setCreating(false)}
          onCreated={(channel) => {
            setCreating(false);
            setNotice(NOTIFICATIONS.created(channel.name));
            if (channel.secret !== undefined) setSecret({ name: channel.name, secret: channel.secret });
          }}
        />
      )}
      {secret !== undefined && <SecretDialog channelName={secret.name} secret={secret.secret} onClose={() => setSecret(undefined)} />}
      {logChannel !== undefined && <DeliveryLogDialog orgId={orgId} channel={logChannel} onClose={() => setUrl({ log: '' })} onNotice={setNotice} />}
      {deleting !== undefined && (
        <Dialog open onClose={() => setDeleting(undefined)} aria-labelledby="channel-delete-title" aria-describedby="channel-delete-text">
          <DialogTitle id="channel-delete-title">{NOTIFICATIONS.deleteTitle(deleting.name)}</DialogTitle>
          <DialogContent>
            {remove.error !== null && <Alert severity="error">{remove.error.message}</Alert>}
            <DialogContentText id="channel-delete-text">{NOTIFICATIONS.deleteExplained}</DialogContentText>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setDeleting(undefined)}>{NOTIFICATIONS.cancel}</Button>
            <Button color="error" variant="contained" loading={remove.isPending} onClick={() => remove.mutate(deleting.id, { onSuccess: () => setDeleting(undefined) })}>
              {NOTIFICATIONS.confirmDelete}
            </Button>
          </DialogActions>
        </Dialog>
      )}
      <Snackbar open={notice !== undefined} autoHideDuration={6000} onClose={() => setNotice(undefined)} message={notice} />
    </Stack>
  );
}
