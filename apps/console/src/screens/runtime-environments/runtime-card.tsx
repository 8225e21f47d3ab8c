/** One runtime: name, provider, Default chip, its non-secret settings, the last connection test, and its actions. */
import DeleteIcon from '@mui/icons-material/Delete';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { DateTime } from '../../components/dates';
import { RUNTIMES } from '../../texts';
import { fieldLabel } from './config-fields';
import type { Runtime } from './runtime.queries';

export interface RuntimeActions {
  readonly canTest: boolean;
  readonly canManage: boolean;
  readonly testing: boolean;
  onTest(runtime: Runtime): void;
  onSetDefault(runtime: Runtime): void;
  onEdit(runtime: Runtime): void;
  onDelete(runtime: Runtime): void;
}

const SHOWN_SETTINGS = 3;

export function RuntimeCard({ runtime, actions }: { runtime: Runtime; actions: RuntimeActions }) {
  const settings = Object.entries(runtime.config).filter(([field]) => field !== 'caCertificate');
  const test = runtime.lastTest;
  return (
    <Card variant="outlined" component="article" aria-label={runtime.name} data-testid={`runtime-${runtime.id}`} sx={{ display: 'flex', flexDirection: 'column' }}>
      <CardContent sx={{ flexGrow: 1 }}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
          <Typography component="h2" variant="h6" sx={{ flexGrow: 1, overflowWrap: 'anywhere' }}>
            {runtime.name}
          </Typography>
          {runtime.isDefault && <Chip size="small" color="primary" label={RUNTIMES.default} />}
        </Stack>
        <Typography color="text.secondary" gutterBottom>
          {runtime.providerLabel}
        </Typography>
        {settings.slice(0, SHOWN_SETTINGS).map(([field, value]) => (
          <Typography key={field} variant="body2" sx={{ overflowWrap: 'anywhere' }}>
            {fieldLabel(field)}: {String(value)}
          </Typography>
        ))}
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }} data-testid="last-test">
          {RUNTIMES.lastTest}:{' '}
          {test === null ? (
            RUNTIMES.neverTested
          ) : (
            <>
              {test.status}
              {test.latencyMs !== null && ` (${test.latencyMs} ms)`}, <DateTime value={test.testedAt ?? test.requestedAt} />
            </>
          )}
        </Typography>
      </CardContent>
      <CardActions sx={{ flexWrap: 'wrap' }}>
        {actions.canTest && (
          <Button size="small" loading={actions.testing} onClick={() => actions.onTest(runtime)} aria-label={`${RUNTIMES.test} ${runtime.name}`}>
            {RUNTIMES.test}
          </Button>
        )}
        {actions.canManage && !runtime.isDefault && (
          <Button size="small" onClick={() => actions.onSetDefault(runtime)} aria-label={`${RUNTIMES.setDefault} ${runtime.name}`}>
            {RUNTIMES.setDefault}
          </Button>
        )}
        {actions.canManage && (
          <Button size="small" onClick={() => actions.onEdit(runtime)} aria-label={`${RUNTIMES.edit} ${runtime.name}`}>
            {RUNTIMES.edit}
          </Button>
        )}
        {actions.canManage && (
          <IconButton size="small" aria-label={RUNTIMES.delete(runtime.name)} onClick={() => actions.onDelete(runtime)} sx={{ ml: 'auto' }}>
            <DeleteIcon fontSize="small" />
          </IconButton>
        )}
      </CardActions>
    </Card>
  );
}
