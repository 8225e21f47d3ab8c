/** The Dashboard's "Live" chip: whether the organization's stream is open (live updates) or being reopened. */
import CircleIcon from '@mui/icons-material/Circle';
import Chip from '@mui/material/Chip';
import type { StreamStatus } from '../../api/organization-stream';
import { DASHBOARD } from '../../texts';

const COLOURS: Record<StreamStatus, string> = { connecting: 'text.disabled', live: 'success.main', reconnecting: 'warning.main', off: 'text.disabled' };

export function LiveIndicator({ status }: { status: StreamStatus }) {
  return (
    <Chip
      role="status"
      aria-live="polite"
      aria-label={`${DASHBOARD.live.label}: ${DASHBOARD.live[status]}`}
      data-testid="live-status"
      data-status={status}
      variant="outlined"
      size="small"
      label={DASHBOARD.live[status]}
      icon={<CircleIcon aria-hidden sx={{ '&&': { color: COLOURS[status] }, fontSize: 10 }} />}
    />
  );
}
