/**
 * Adding a notification channel: a signed webhook (its endpoint), a Slack incoming webhook (its URL, stored
 * encrypted) or email (recipients), and the events it receives. A field the API refuses is shown on that field.
 * The signing secret a webhook's creation answers is shown once, by SecretDialog.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import IconButton from '@mui/material/IconButton';
import InputAdornment from '@mui/material/InputAdornment';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import { type FormEvent, useState } from 'react';
import { useWorkspaces } from '../../api/account.queries';
import { ApiProblem, idempotencyKey } from '../../api/client';
import { NOTIFICATIONS } from '../../texts';
import { EVENT_TYPES, type NotificationChannel, type NotificationChannelKind, type NotificationEventType, useCreateChannel } from './notifications.queries';

function formFieldOf(field: string): string | undefined {
  return /^body\.(name|kind|url|recipients|events|workspaceId)/.exec(field)?.[1];
}

export function ChannelDialog({ orgId, onClose, onCreated }: { orgId: string; onClose: () => void; onCreated: (channel: NotificationChannel & { secret?: string }) => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<NotificationChannelKind>('webhook');
  const [url, setUrl] = useState('');
  const [recipients, setRecipients] = useState('');
  const [events, setEvents] = useState<NotificationEventType[]>(['BudgetThresholdCrossed', 'LowCreditBalanceReached']);
  const [workspaceId, setWorkspaceId] = useState('');
  const [key] = useState(idempotencyKey);
  const create = useCreateChannel(orgId);
  const workspaces = useWorkspaces(orgId);

  const errors = create.error instanceof ApiProblem ? create.error.errors : [];
  const fieldError = (field: string) => errors.find((error) => formFieldOf(error.field) === field)?.message;
  const otherError = create.error !== null && errors.every((error) => formFieldOf(error.field) === undefined) ? create.error.message : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      name: name.trim(),
      kind,
      events,
      ...(workspaceId !== '' ? { workspaceId } : {}),
      ...(kind === 'email' ? { recipients: recipients.split(/[,\s]+/).filter((recipient) => recipient !== '') } : { url: url.trim() }),
    };
    create.mutate({ body, key }, { onSuccess: onCreated });
  };
  const toggle = (type: NotificationEventType, on: boolean) => setEvents((current) => (on ? [...current, type] : current.filter((candidate) => candidate !== type)));

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="channel-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="channel-dialog-title">{NOTIFICATIONS.createTitle}</DialogTitle>
        <DialogContent dividers>
          <Stack spacing={2}>
            {otherError !== undefined && <Alert severity="error">{otherError}</Alert>}
            <TextField label={NOTIFICATIONS.name} value={name} required onChange={(event) => setName(event.target.value)} error={!!fieldError('name')} helperText={fieldError('name')} fullWidth />
            <TextField select label={NOTIFICATIONS.kind} value={kind} onChange={(event) => setKind(event.target.value as NotificationChannelKind)} error={!!fieldError('kind')} helperText={fieldError('kind')} slotProps={{ select: { native: true } }} fullWidth>
              {(Object.keys(NOTIFICATIONS.kinds) as NotificationChannelKind[]).map((option) => (
                <option key={option} value={option}>
                  {NOTIFICATIONS.kinds[option]}
                </option>
              ))}
            </TextField>
            {kind === 'email' ? (
              <TextField label={NOTIFICATIONS.recipients} value={recipients} required onChange={(event) => setRecipients(event.target.value)} error={!!fieldError('recipients')} helperText={fieldError('recipients')} fullWidth />
            ) : (
              <TextField
                label={kind === 'slack' ? NOTIFICATIONS.slackUrl : NOTIFICATIONS.url}
                value={url}
                required
                type="url"
                onChange={(event) => setUrl(event.target.value)}
                error={!!fieldError('url')}
                helperText={fieldError('url')}
                fullWidth
              />
            )}
            <TextField select label={NOTIFICATIONS.workspace} value={workspaceId} onChange={(event) => setWorkspaceId(event.target.value)} error={!!fieldError('workspaceId')} helperText={fieldError('workspaceId')} slotProps={{ select: { native: true } }} fullWidth>
              <option value="">{NOTIFICATIONS.allWorkspaces}</option>
              {(workspaces.data ?? []).map((workspace) => (
                <option key={workspace.id} value={workspace.id}>
                  {workspace.name}
                </option>
              ))}
            </TextField>
            <FormControl component="fieldset" error={!!fieldError('events')}>
              <FormLabel component="legend">{NOTIFICATIONS.events}</FormLabel>
              <FormGroup>
                {EVENT_TYPES.map((type) => (
                  <FormControlLabel key={type} control={<Checkbox checked={events.includes(type)} onChange={(event) => toggle(type, event.target.checked)} />} label={NOTIFICATIONS.eventTypes[type] ?? type} />
                ))}
              </FormGroup>
              {fieldError('events') !== undefined && <FormHelperText>{fieldError('events')}</FormHelperText>}
            </FormControl>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{NOTIFICATIONS.cancel}</Button>
          <Button type="submit" variant="contained" loading={create.isPending} disabled={name.trim() === '' || events.length === 0}>
            {NOTIFICATIONS.create}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** A webhook's signing secret, shown once (after creation or rotation) with a copy button. */
export function SecretDialog({ channelName, secret, onClose }: { channelName: string; secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="secret-dialog-title" aria-describedby="secret-dialog-text">
      <DialogTitle id="secret-dialog-title">{`${NOTIFICATIONS.secretTitle}: ${channelName}`}</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <DialogContentText id="secret-dialog-text">{NOTIFICATIONS.secretExplained}</DialogContentText>
          <TextField
            label={NOTIFICATIONS.secretTitle}
            value={secret}
            fullWidth
            helperText={copied ? NOTIFICATIONS.secretCopied : ' '}
            slotProps={{
              htmlInput: { readOnly: true, 'data-testid': 'channel-secret', spellCheck: false },
              input: {
                endAdornment: (
                  <InputAdornment position="end">
                    <IconButton aria-label={NOTIFICATIONS.copySecret} onClick={() => void copy()} edge="end">
                      <ContentCopyIcon />
                    </IconButton>
                  </InputAdornment>
                ),
              },
            }}
          />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button variant="contained" onClick={onClose}>
          {NOTIFICATIONS.close}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
