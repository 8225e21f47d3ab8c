import Chip from '@mui/material/Chip';
import type { JobStatus } from './job.queries';

// only hues whose text keeps the contrast minimum on the paper (info and warning do not)
const COLORS: Readonly<Record<JobStatus, 'success' | 'error' | 'primary' | 'default'>> = {
  running: 'primary',
  success: 'success',
  failed: 'error',
  cancelled: 'default',
  timed_out: 'default',
};

export function JobStatusChip({ status }: { status: JobStatus }) {
  return <Chip size="small" variant="outlined" color={COLORS[status]} label={status.replace('_', ' ')} />;
}
