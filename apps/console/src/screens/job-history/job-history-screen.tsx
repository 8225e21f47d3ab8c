/**
 * Job History (admin guide, part 1): the workspace's agent jobs, newest first — Job ID, Agent Name, Start and
 * End Time, Status and View Details — with the status and agent filters, the page and the open job all in the
 * URL (a copied link opens the same job's details; Back closes it).
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { useUrlState } from '../../routing/url-state';
import { JOB_HISTORY } from '../../texts';
import { JobDetailsDialog } from './job-details-dialog';
import { JobStatusChip } from './job-status-chip';
import { JOB_STATUSES, type JobStatus, type JobSummary, allJobs, useJobs } from './job.queries';

const KEYS = ['status', 'agent', 'page', 'job'] as const;
const columns = JOB_HISTORY.columns;

export default function JobHistoryScreen() {
  const { wsId = '' } = useParams();
  const [url, setUrl] = useUrlState(KEYS);
  const status = (JOB_STATUSES as readonly string[]).includes(url.status) ? (url.status as JobStatus) : undefined;
  const page = pageFrom(url.page);
  const [agent, setAgent] = useState(url.agent);
  useEffect(() => {
    if (agent.trim() === url.agent) return;
    const timer = setTimeout(() => setUrl({ agent: agent.trim() }, { resetPage: true }), 300);
    return () => clearTimeout(timer);
  }, [agent, url.agent, setUrl]);
  const jobs = useJobs(wsId, { status, agent: url.agent || undefined, page });

  const COLUMNS: ReadonlyArray<Column<JobSummary>> = [
    { id: 'jobId', label: columns.jobId, value: (job) => job.jobId },
    { id: 'agent', label: columns.agent, value: (job) => job.agent },
    { id: 'startedAt', label: columns.startTime, value: (job) => job.startedAt, render: (job) => <DateTime value={job.startedAt} /> },
    { id: 'endedAt', label: columns.endTime, value: (job) => job.endedAt, render: (job) => <DateTime value={job.endedAt} /> },
    { id: 'status', label: columns.status, value: (job) => job.status, render: (job) => <JobStatusChip status={job.status} /> },
    {
      id: 'actions',
      label: columns.actions,
      sortable: false,
      exported: false,
      value: () => '',
      render: (job) => (
        <Button size="small" aria-label={`${JOB_HISTORY.viewDetails} ${job.jobId}`} onClick={() => setUrl({ job: job.jobId })}>
          {JOB_HISTORY.viewDetails}
        </Button>
      ),
    },
  ];

  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        {JOB_HISTORY.title}
      </Typography>
      <Paper component="section" aria-label="Filters" sx={{ p: 2 }}>
        <Stack direction="row" spacing={2} useFlexGap sx={{ flexWrap: 'wrap' }}>
          <TextField select size="small" label={JOB_HISTORY.status} value={status ?? ''} onChange={(event) => setUrl({ status: event.target.value }, { resetPage: true })} sx={{ minWidth: 160 }}>
            <MenuItem value="">{JOB_HISTORY.all}</MenuItem>
            {JOB_STATUSES.map((option) => (
              <MenuItem key={option} value={option}>
                {option.replace('_', ' ')}
              </MenuItem>
            ))}
          </TextField>
          <TextField size="small" type="search" label={JOB_HISTORY.agent} value={agent} onChange={(event) => setAgent(event.target.value)} />
        </Stack>
      </Paper>
      <QueryState query={jobs} loading={JOB_HISTORY.loading}>
        {(result) =>
          result.items.length === 0 ? (
            <Empty>{JOB_HISTORY.empty}</Empty>
          ) : (
            <Stack spacing={2}>
              {/* a block of its own: the export button keeps its width instead of stretching in the column */}
              <Box>
                <DataTable
                  label={JOB_HISTORY.title}
                  rows={result.items}
                  columns={COLUMNS}
                  rowKey={(job) => job.jobId}
                  rowTestId={(job) => `job-${job.jobId}`}
                  exportRows={() => allJobs(wsId, { status, agent: url.agent || undefined })}
                  csvName={`jobs-${wsId}.csv`}
                  exportLabel={JOB_HISTORY.exportCsv}
                />
              </Box>
              <Pager label={`${JOB_HISTORY.title} pages`} page={result.page} pageCount={result.pageCount} texts={JOB_HISTORY} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
            </Stack>
          )
        }
      </QueryState>
      <JobDetailsDialog workspaceId={wsId} jobId={url.job || undefined} onClose={() => setUrl({ job: '' })} />
    </Stack>
  );
}
