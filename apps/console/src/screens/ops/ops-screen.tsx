/**
 * Ops (owners and admins, README "Ops"): Steward's queues with their counts, the failed jobs with their errors
 * (Retry and Remove, each confirmed), the JetStream consumers' backlog and the dead letters, the projections' lag,
 * state and quarantine, and the organization's recent failed executions, paged. An owner or admin sees their
 * organization's jobs and the platform's figures; a platform administrator also the details of other tenants
 * (every organization's jobs, dead letters' and quarantined events' reasons).
 */
import RefreshIcon from '@mui/icons-material/Refresh';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { type ReactNode, useState } from 'react';
import type { FailedJob, OpsView } from '../../api/ops.api';
import { DateTime } from '../../components/dates';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { useUrlState } from '../../routing/url-state';
import { OPS } from '../../texts';
import { type JobAction, useJobAction, useOpsEvents, useOpsView } from './ops.queries';

function Section({ id, title, children, action }: { id: string; title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <Card component="section" aria-labelledby={id}>
      <CardContent>
        <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1 }}>
          <Typography id={id} variant="h6" component="h2">
            {title}
          </Typography>
          {action}
        </Stack>
        {children}
      </CardContent>
    </Card>
  );
}

interface Cell {
  readonly label: string;
  readonly numeric?: boolean;
}

/** A plain table: its caption is its accessible name, numbers align right. */
function OpsTable({ label, head, rows }: { label: string; head: readonly Cell[]; rows: ReactNode }) {
  return (
    <TableContainer>
      <Table size="small" aria-label={label}>
        <TableHead>
          <TableRow>
            {head.map((cell) => (
              <TableCell key={cell.label} align={cell.numeric ? 'right' : 'left'}>
                {cell.label}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>{rows}</TableBody>
      </Table>
    </TableContainer>
  );
}

const Code = ({ children }: { children: ReactNode }) => (
  <Box component="code" sx={{ wordBreak: 'break-all' }}>
    {children}
  </Box>
);

const ErrorText = ({ children }: { children: ReactNode }) => (
  <Typography variant="body2" component="span" sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', display: 'block', maxWidth: 480 }}>
    {children}
  </Typography>
);

interface Pending {
  readonly action: JobAction;
  readonly job: FailedJob;
}

function QueuesSection({ view }: { view: OpsView }) {
  const counts = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
  return (
    <Section id="ops-queues" title={OPS.queues}>
      <OpsTable
        label={OPS.queues}
        head={[{ label: OPS.queue }, { label: OPS.context }, ...counts.map((count) => ({ label: OPS.counts[count], numeric: true }))]}
        rows={view.queues.map((queue) => (
          <TableRow key={queue.name} data-testid="ops-queue">
            <TableCell>
              <Code>{queue.name}</Code>
              <Typography variant="body2" color="text.secondary">
                {queue.description}
              </Typography>
            </TableCell>
            <TableCell>{queue.context}</TableCell>
            {counts.map((count) => (
              <TableCell key={count} align="right" data-testid={`queue-${count}`}>
                {queue.counts[count]}
              </TableCell>
            ))}
          </TableRow>
        ))}
      />
    </Section>
  );
}

function FailedJobsSection({ view, onAction }: { view: OpsView; onAction: (pending: Pending) => void }) {
  const jobs = view.queues.flatMap((queue) => queue.failedJobs);
  return (
    <Section id="ops-failed-jobs" title={OPS.failedJobs}>
      {jobs.length === 0 ? (
        <Empty>{OPS.noFailedJobs}</Empty>
      ) : (
        <OpsTable
          label={OPS.failedJobs}
          head={[{ label: OPS.job }, { label: OPS.name }, { label: OPS.error }, { label: OPS.attempts, numeric: true }, { label: OPS.failedAt }, { label: OPS.actions }]}
          rows={jobs.map((job) => (
            <TableRow key={`${job.queue}/${job.id}`} data-testid="failed-job" data-job-id={job.id}>
              <TableCell sx={{ minWidth: 200 }}>
                <Code>{job.id}</Code>
                <Typography variant="body2" color="text.secondary">
                  {OPS.queue}: {job.queue}
                </Typography>
              </TableCell>
              <TableCell>{job.name}</TableCell>
              <TableCell>
                <ErrorText>{job.error}</ErrorText>
              </TableCell>
              <TableCell align="right" data-testid="job-attempts">
                {job.attempts}
              </TableCell>
              <TableCell>{job.failedAt === null ? '—' : <DateTime value={job.failedAt} />}</TableCell>
              <TableCell>
                <Stack direction="row" spacing={1} sx={{ flexWrap: 'nowrap' }}>
                  <Button size="small" variant="outlined" aria-label={OPS.retryJob(job.id)} onClick={() => onAction({ action: 'retry', job })}>
                    {OPS.retry}
                  </Button>
                  <Button size="small" color="error" aria-label={OPS.removeJob(job.id)} onClick={() => onAction({ action: 'remove', job })}>
                    {OPS.remove}
                  </Button>
                </Stack>
              </TableCell>
            </TableRow>
          ))}
        />
      )}
    </Section>
  );
}

function ConsumersSection({ view }: { view: OpsView }) {
  return (
    <Section id="ops-consumers" title={OPS.consumers}>
      <OpsTable
        label={OPS.consumers}
        head={[{ label: OPS.stream }, { label: OPS.consumer }, { label: OPS.pending, numeric: true }, { label: OPS.ackPending, numeric: true }, { label: OPS.redelivered, numeric: true }, { label: OPS.deadLetters, numeric: true }]}
        rows={view.consumers.map((consumer) => (
          <TableRow key={`${consumer.stream}/${consumer.name}`}>
            <TableCell>
              <Code>{consumer.stream}</Code>
            </TableCell>
            <TableCell>
              <Code>{consumer.name}</Code>
            </TableCell>
            <TableCell align="right">{consumer.pending}</TableCell>
            <TableCell align="right">{consumer.ackPending}</TableCell>
            <TableCell align="right">{consumer.redelivered}</TableCell>
            <TableCell align="right">{consumer.deadLetters}</TableCell>
          </TableRow>
        ))}
      />
      <Typography variant="subtitle1" component="h3" sx={{ mt: 2 }} data-testid="dead-letter-total">
        {OPS.deadLetters}: {OPS.deadLetterTotal(view.deadLetters.total)}
      </Typography>
      {view.deadLetters.items !== undefined && view.deadLetters.items.length > 0 && (
        <OpsTable
          label={OPS.deadLetters}
          head={[{ label: OPS.consumer }, { label: OPS.subject }, { label: OPS.reason }, { label: OPS.attempts, numeric: true }, { label: OPS.deadLetteredAt }]}
          rows={view.deadLetters.items.map((letter) => (
            <TableRow key={letter.seq}>
              <TableCell>
                <Code>{letter.consumer}</Code>
              </TableCell>
              <TableCell>
                <Code>{letter.originalSubject ?? '—'}</Code>
              </TableCell>
              <TableCell>
                <ErrorText>{letter.reason}</ErrorText>
              </TableCell>
              <TableCell align="right">{letter.deliveryCount ?? '—'}</TableCell>
              <TableCell>
                <DateTime value={letter.deadLetteredAt} />
              </TableCell>
            </TableRow>
          ))}
        />
      )}
    </Section>
  );
}

function ProjectionsSection({ view }: { view: OpsView }) {
  const quarantine = view.projections.flatMap((projection) => (projection.quarantine ?? []).map((event) => ({ projection: projection.name, ...event })));
  return (
    <Section id="ops-projections" title={OPS.projections}>
      <OpsTable
        label={OPS.projections}
        head={[
          { label: OPS.projection },
          { label: OPS.state },
          { label: OPS.health },
          { label: OPS.lagEvents, numeric: true },
          { label: OPS.lagSeconds, numeric: true },
          { label: OPS.eventsApplied, numeric: true },
          { label: OPS.quarantined, numeric: true },
        ]}
        rows={view.projections.map((projection) => (
          <TableRow key={projection.name} data-testid="ops-projection">
            <TableCell>
              <Code>{projection.name}</Code>
            </TableCell>
            <TableCell>{projection.state}</TableCell>
            <TableCell>
              <Chip size="small" variant="outlined" color={projection.health === 'ok' ? 'success' : 'warning'} label={projection.health} />
            </TableCell>
            <TableCell align="right">{projection.lagEvents}</TableCell>
            <TableCell align="right">{projection.lagSeconds.toFixed(1)}</TableCell>
            <TableCell align="right">{projection.eventsApplied}</TableCell>
            <TableCell align="right">{projection.quarantined}</TableCell>
          </TableRow>
        ))}
      />
      {quarantine.length > 0 && (
        <>
          <Typography variant="subtitle1" component="h3" sx={{ mt: 2 }}>
            {OPS.quarantine}
          </Typography>
          <OpsTable
            label={OPS.quarantine}
            head={[{ label: OPS.projection }, { label: OPS.event }, { label: OPS.eventType }, { label: OPS.error }, { label: OPS.failedAt }]}
            rows={quarantine.map((event) => (
              <TableRow key={`${event.projection}/${event.eventId}`}>
                <TableCell>
                  <Code>{event.projection}</Code>
                </TableCell>
                <TableCell>
                  <Code>{event.eventId}</Code>
                </TableCell>
                <TableCell>{event.eventType}</TableCell>
                <TableCell>
                  <ErrorText>{event.error}</ErrorText>
                </TableCell>
                <TableCell>
                  <DateTime value={event.quarantinedAt} />
                </TableCell>
              </TableRow>
            ))}
          />
        </>
      )}
    </Section>
  );
}

function RecentFailuresSection() {
  const [url, setUrl] = useUrlState(['page']);
  const page = pageFrom(url.page);
  const events = useOpsEvents(page);
  return (
    <Section id="ops-recent-failures" title={OPS.recentFailures}>
      <QueryState query={events}>
        {(result) =>
          result.items.length === 0 ? (
            <Empty>{OPS.noFailures}</Empty>
          ) : (
            <Stack spacing={1}>
              <OpsTable
                label={OPS.recentFailures}
                head={[{ label: OPS.kind }, { label: OPS.name }, { label: OPS.job }, { label: OPS.workspace }, { label: OPS.error }, { label: OPS.failedAt }]}
                rows={result.items.map((item) => (
                  <TableRow key={`${item.kind}/${item.id}/${item.failedAt}`} data-testid="recent-failure">
                    <TableCell>{OPS.kinds[item.kind] ?? item.kind}</TableCell>
                    <TableCell>{item.name}</TableCell>
                    <TableCell>
                      <Code>{item.id}</Code>
                    </TableCell>
                    <TableCell>
                      <Code>{item.workspaceId}</Code>
                    </TableCell>
                    <TableCell>
                      <ErrorText>{item.error ?? '—'}</ErrorText>
                    </TableCell>
                    <TableCell>
                      <DateTime value={item.failedAt} />
                    </TableCell>
                  </TableRow>
                ))}
              />
              <Pager label={OPS.pagerLabel} page={result.page} pageCount={result.pageCount} texts={OPS.pager} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
            </Stack>
          )
        }
      </QueryState>
    </Section>
  );
}

export default function OpsScreen() {
  const view = useOpsView();
  const action = useJobAction();
  const [pending, setPending] = useState<Pending | undefined>();
  const [notice, setNotice] = useState<{ severity: 'success' | 'error'; text: string } | undefined>();

  const confirm = () => {
    if (pending === undefined) return;
    const { action: kind, job } = pending;
    action.mutate(
      { action: kind, queue: job.queue, jobId: job.id },
      {
        onSuccess: () => setNotice({ severity: 'success', text: kind === 'retry' ? OPS.retried(job.id) : OPS.removed(job.id) }),
        onError: (error) => setNotice({ severity: 'error', text: error.message }),
        onSettled: () => setPending(undefined),
      },
    );
  };

  return (
    <Stack spacing={3}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="h4" component="h1">
          {OPS.title}
        </Typography>
        <Button startIcon={<RefreshIcon aria-hidden />} onClick={() => void view.refetch()} disabled={view.isFetching}>
          {OPS.refresh}
        </Button>
      </Stack>
      <QueryState query={view} loading={OPS.loading}>
        {(data) => (
          <Stack spacing={3}>
            <Alert severity="info">{data.scope === 'platform' ? OPS.scopePlatform : OPS.scopeOrganization}</Alert>
            <QueuesSection view={data} />
            <FailedJobsSection view={data} onAction={setPending} />
            <ConsumersSection view={data} />
            <ProjectionsSection view={data} />
          </Stack>
        )}
      </QueryState>
      {!view.isError && <RecentFailuresSection />}
      <Dialog open={pending !== undefined} onClose={() => setPending(undefined)} aria-labelledby="ops-confirm-title" aria-describedby="ops-confirm-text">
        <DialogTitle id="ops-confirm-title">{pending?.action === 'remove' ? OPS.confirmRemoveTitle : OPS.confirmRetryTitle}</DialogTitle>
        <DialogContent>
          <DialogContentText id="ops-confirm-text">
            {pending === undefined ? '' : pending.action === 'remove' ? OPS.confirmRemove(pending.job.id, pending.job.queue) : OPS.confirmRetry(pending.job.id, pending.job.queue)}
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setPending(undefined)}>{OPS.cancel}</Button>
          <Button variant="contained" color={pending?.action === 'remove' ? 'error' : 'primary'} onClick={confirm} disabled={action.isPending}>
            {pending?.action === 'remove' ? OPS.remove : OPS.retry}
          </Button>
        </DialogActions>
      </Dialog>
      <Snackbar open={notice !== undefined} autoHideDuration={8000} onClose={(_event, reason) => reason !== 'clickaway' && setNotice(undefined)}>
        {notice ? (
          <Alert severity={notice.severity} onClose={() => setNotice(undefined)}>
            {notice.text}
          </Alert>
        ) : undefined}
      </Snackbar>
    </Stack>
  );
}
