/**
 * The job's details (admin guide, part 1): status chip, start and end, the final summary, then the interaction
 * history step by step — user messages, assistant responses, tool calls and results with their tool, status,
 * parameters or result and duration in milliseconds, system information — or the guide's "No detailed steps
 * recorded for this job."
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Divider from '@mui/material/Divider';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { DateTime } from '../../components/dates';
import { QueryState } from '../../components/query-state';
import { JOB_HISTORY, JOB_STEP_LABELS } from '../../texts';
import { JobStatusChip } from './job-status-chip';
import { type JobStep, useJob } from './job.queries';

const TOOL_STEPS = new Set(['tool_call', 'tool_result']);

function Json({ label, value }: { label: string; value: unknown }) {
  if (value === undefined || value === null) return null;
  return (
    <Box>
      <Typography variant="caption" color="text.secondary">
        {label}
      </Typography>
      <Box component="pre" tabIndex={0} aria-label={label} sx={{ m: 0, p: 1, bgcolor: 'action.hover', borderRadius: 1, overflowX: 'auto', fontSize: 13, maxHeight: 240 }}>
        {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
      </Box>
    </Box>
  );
}

function Step({ step }: { step: JobStep }) {
  const tool = TOOL_STEPS.has(step.type);
  return (
    <ListItem divider data-testid={`job-step-${step.sequence}`} sx={{ display: 'block', px: 0 }}>
      <Stack direction="row" spacing={1} useFlexGap sx={{ alignItems: 'center', flexWrap: 'wrap', mb: 0.5 }}>
        <Typography component="h4" variant="subtitle2">
          {JOB_STEP_LABELS[step.type] ?? step.type}
        </Typography>
        {step.toolName !== null && <Chip size="small" label={step.toolName} />}
        {step.toolStatus !== null && <Chip size="small" variant="outlined" color={step.toolStatus === 'error' ? 'error' : step.toolStatus === 'success' ? 'success' : 'default'} label={step.toolStatus} />}
        {tool && step.durationMs !== null && <Chip size="small" variant="outlined" label={JOB_HISTORY.details.duration(step.durationMs)} data-testid="step-duration" />}
        <Typography variant="caption" color="text.secondary" sx={{ ml: 'auto' }}>
          <DateTime value={step.at} />
        </Typography>
      </Stack>
      {step.content !== null && <Typography sx={{ whiteSpace: 'pre-wrap' }}>{step.content}</Typography>}
      {step.type === 'tool_call' && <Json label={JOB_HISTORY.details.parameters} value={step.parameters} />}
      {step.type === 'tool_result' && <Json label={JOB_HISTORY.details.result} value={step.result} />}
    </ListItem>
  );
}

export function JobDetailsDialog({ workspaceId, jobId, onClose }: { workspaceId: string; jobId: string | undefined; onClose: () => void }) {
  const job = useJob(workspaceId, jobId);
  const details = JOB_HISTORY.details;
  return (
    <Dialog open={jobId !== undefined} onClose={onClose} fullWidth maxWidth="md" aria-labelledby="job-details-title">
      <DialogTitle id="job-details-title">{details.title(jobId ?? '')}</DialogTitle>
      <DialogContent dividers>
        <QueryState query={job} loading={details.loading}>
          {(detail) => (
            <Stack spacing={2}>
              <Stack direction="row" spacing={3} useFlexGap sx={{ flexWrap: 'wrap', alignItems: 'center' }}>
                <JobStatusChip status={detail.status} />
                <Typography>{detail.agent}</Typography>
                <Box>
                  <Typography variant="caption" color="text.secondary" component="div">
                    {details.startTime}
                  </Typography>
                  <DateTime value={detail.startedAt} />
                </Box>
                <Box>
                  <Typography variant="caption" color="text.secondary" component="div">
                    {details.endTime}
                  </Typography>
                  <DateTime value={detail.endedAt} />
                </Box>
              </Stack>
              <Box>
                <Typography component="h3" variant="h6">
                  {details.finalSummary}
                </Typography>
                <Typography sx={{ whiteSpace: 'pre-wrap' }} color={detail.summary ? 'text.primary' : 'text.secondary'}>
                  {detail.summary ?? details.noSummary}
                </Typography>
              </Box>
              <Divider />
              <Box>
                <Typography component="h3" variant="h6">
                  {details.interactionHistory}
                </Typography>
                {detail.steps.length === 0 ? (
                  <Typography color="text.secondary">{details.noSteps}</Typography>
                ) : (
                  <List aria-label={details.interactionHistory}>
                    {detail.steps.map((step) => (
                      <Step key={step.stepId} step={step} />
                    ))}
                  </List>
                )}
              </Box>
            </Stack>
          )}
        </QueryState>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{details.close}</Button>
      </DialogActions>
    </Dialog>
  );
}
