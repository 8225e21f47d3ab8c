/**
 * Announcements (organization-dashboard guide): the platform's news addressed to you — new features,
 * releases, scheduled maintenance with its window — each marked read once seen. Platform administrators also
 * draft, edit, publish and unpublish them here, for all organizations or some.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { type FormEvent, useState } from 'react';
import type { Announcement, AnnouncementDraft, AnnouncementKind } from '../../api/announcements.api';
import { ApiProblem } from '../../api/client';
import { DateTime } from '../../components/dates';
import { Empty, QueryState } from '../../components/query-state';
import { ANNOUNCEMENTS } from '../../texts';
import { useAnnouncementAction, useCreateAnnouncement, useManagedAnnouncements, useMyAnnouncements, useReviseAnnouncement } from './announcements.queries';

function KindChip({ kind }: { kind: string }) {
  return <Chip size="small" variant="outlined" label={ANNOUNCEMENTS.kinds[kind] ?? kind} color={kind === 'maintenance' ? 'warning' : 'default'} />;
}

function MaintenanceWindow({ announcement }: { announcement: Announcement }) {
  if (announcement.window === null) return null;
  return (
    <Typography variant="body2" color="text.secondary">
      <DateTime value={announcement.window.startsAt} /> – <DateTime value={announcement.window.endsAt} />
    </Typography>
  );
}

function ReaderList() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const mine = useMyAnnouncements(unreadOnly);
  const markRead = useAnnouncementAction('read');
  return (
    <Stack spacing={2}>
      <FormControlLabel control={<Switch checked={unreadOnly} onChange={(event) => setUnreadOnly(event.target.checked)} />} label={ANNOUNCEMENTS.onlyUnread} />
      <QueryState query={mine} loading={ANNOUNCEMENTS.loading}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{ANNOUNCEMENTS.none}</Empty>
          ) : (
            <Stack spacing={2}>
              {page.items.map((announcement) => (
                <Card key={announcement.id} component="article" aria-labelledby={`announcement-${announcement.id}`} data-testid="announcement">
                  <CardContent>
                    <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
                      <KindChip kind={announcement.kind} />
                      {announcement.read === false && <Chip size="small" color="primary" label={ANNOUNCEMENTS.unread} />}
                    </Stack>
                    <Typography id={`announcement-${announcement.id}`} variant="h6" component="h2">
                      {announcement.title}
                    </Typography>
                    <MaintenanceWindow announcement={announcement} />
                    <Typography sx={{ mt: 1, whiteSpace: 'pre-wrap' }}>{announcement.body}</Typography>
                  </CardContent>
                  {announcement.read === false && (
                    <CardActions>
                      <Button onClick={() => markRead.mutate(announcement.id)} disabled={markRead.isPending} aria-label={`${ANNOUNCEMENTS.markRead}: ${announcement.title}`}>
                        {ANNOUNCEMENTS.markRead}
                      </Button>
                    </CardActions>
                  )}
                </Card>
              ))}
            </Stack>
          )
        }
      </QueryState>
    </Stack>
  );
}

/** `datetime-local` (the browser's zone) → an ISO instant; '' stays ''. */
function instant(local: string): string {
  return local === '' ? '' : new Date(local).toISOString();
}

function fieldError(error: unknown, ...fields: string[]): string | undefined {
  return error instanceof ApiProblem ? error.errors.find((problem) => fields.some((field) => problem.field === field || problem.field.startsWith(`${field}.`)))?.message : undefined;
}

function CreateForm() {
  const create = useCreateAnnouncement();
  const [kind, setKind] = useState<AnnouncementKind>('feature');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [audience, setAudience] = useState<'all' | 'organizations'>('all');
  const [organizationIds, setOrganizationIds] = useState('');
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [saved, setSaved] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const draft: AnnouncementDraft = {
      kind,
      title,
      body,
      audience: audience === 'all' ? { type: 'all' } : { type: 'organizations', organizationIds: organizationIds.split(',').map((id) => id.trim()).filter((id) => id !== '') },
      ...(kind === 'maintenance' ? { window: { startsAt: instant(startsAt), endsAt: instant(endsAt) } } : {}),
    };
    create.mutate(draft, {
      onSuccess: () => {
        setTitle('');
        setBody('');
        setSaved(true);
      },
    });
  };
  const error = create.error;
  return (
    <Paper component="form" onSubmit={submit} sx={{ p: 3, display: 'grid', gap: 2, maxWidth: 720 }} aria-labelledby="announcement-create">
      <Typography id="announcement-create" variant="h6" component="h3">
        {ANNOUNCEMENTS.create}
      </Typography>
      <TextField select label={ANNOUNCEMENTS.kind} value={kind} onChange={(event) => setKind(event.target.value as AnnouncementKind)}>
        {(['feature', 'release', 'maintenance'] as const).map((option) => (
          <MenuItem key={option} value={option}>
            {ANNOUNCEMENTS.kinds[option]}
          </MenuItem>
        ))}
      </TextField>
      <TextField label={ANNOUNCEMENTS.titleField} value={title} onChange={(event) => setTitle(event.target.value)} required error={fieldError(error, 'body.title') !== undefined} helperText={fieldError(error, 'body.title')} />
      <TextField label={ANNOUNCEMENTS.body} value={body} onChange={(event) => setBody(event.target.value)} required multiline minRows={3} error={fieldError(error, 'body.body') !== undefined} helperText={fieldError(error, 'body.body')} />
      <TextField select label={ANNOUNCEMENTS.audience} value={audience} onChange={(event) => setAudience(event.target.value as 'all' | 'organizations')}>
        <MenuItem value="all">{ANNOUNCEMENTS.audienceAll}</MenuItem>
        <MenuItem value="organizations">{ANNOUNCEMENTS.audienceSome}</MenuItem>
      </TextField>
      {audience === 'organizations' && (
        <TextField label={ANNOUNCEMENTS.organizationIds} value={organizationIds} onChange={(event) => setOrganizationIds(event.target.value)} error={fieldError(error, 'body.audience') !== undefined} helperText={fieldError(error, 'body.audience')} />
      )}
      {kind === 'maintenance' && (
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
          <TextField type="datetime-local" label={ANNOUNCEMENTS.startsAt} value={startsAt} onChange={(event) => setStartsAt(event.target.value)} slotProps={{ inputLabel: { shrink: true } }} error={fieldError(error, 'body.window.startsAt') !== undefined} helperText={fieldError(error, 'body.window.startsAt')} />
          <TextField type="datetime-local" label={ANNOUNCEMENTS.endsAt} value={endsAt} onChange={(event) => setEndsAt(event.target.value)} slotProps={{ inputLabel: { shrink: true } }} error={fieldError(error, 'body.window.endsAt', 'body.window') !== undefined} helperText={fieldError(error, 'body.window.endsAt', 'body.window')} />
        </Stack>
      )}
      {error instanceof Error && !(error instanceof ApiProblem && error.errors.length > 0) && <Alert severity="error">{error.message}</Alert>}
      <div>
        <Button type="submit" variant="contained" disabled={create.isPending}>
          {ANNOUNCEMENTS.save}
        </Button>
      </div>
      <Snackbar open={saved} autoHideDuration={3000} onClose={() => setSaved(false)} message={ANNOUNCEMENTS.created} />
    </Paper>
  );
}

function EditDialog({ announcement, onClose }: { announcement: Announcement; onClose: () => void }) {
  const revise = useReviseAnnouncement();
  const [title, setTitle] = useState(announcement.title);
  const [body, setBody] = useState(announcement.body);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{ANNOUNCEMENTS.edit}</DialogTitle>
      <DialogContent sx={{ display: 'grid', gap: 2, pt: '8px !important' }}>
        <TextField label={ANNOUNCEMENTS.titleField} value={title} onChange={(event) => setTitle(event.target.value)} />
        <TextField label={ANNOUNCEMENTS.body} value={body} onChange={(event) => setBody(event.target.value)} multiline minRows={3} />
        {revise.error instanceof Error && <Alert severity="error">{revise.error.message}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{ANNOUNCEMENTS.cancel}</Button>
        <Button variant="contained" disabled={revise.isPending} onClick={() => revise.mutate({ id: announcement.id, title, body }, { onSuccess: onClose })}>
          {ANNOUNCEMENTS.saveChanges}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function ManagedTable({ items }: { items: Announcement[] }) {
  const publish = useAnnouncementAction('publish');
  const unpublish = useAnnouncementAction('unpublish');
  const [editing, setEditing] = useState<Announcement | undefined>();
  if (items.length === 0) return <Empty>{ANNOUNCEMENTS.noneAuthored}</Empty>;
  return (
    <>
      <Table size="small" aria-label={ANNOUNCEMENTS.manage}>
        <TableHead>
          <TableRow>
            <TableCell>{ANNOUNCEMENTS.titleField}</TableCell>
            <TableCell>{ANNOUNCEMENTS.kind}</TableCell>
            <TableCell>{ANNOUNCEMENTS.audience}</TableCell>
            <TableCell>Status</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((item) => (
            <TableRow key={item.id} data-testid="managed-announcement">
              <TableCell>{item.title}</TableCell>
              <TableCell>
                <KindChip kind={item.kind} />
              </TableCell>
              <TableCell>{item.audience.type === 'all' ? ANNOUNCEMENTS.audienceAll : item.audience.organizationIds.join(', ')}</TableCell>
              <TableCell>{ANNOUNCEMENTS.status[item.status] ?? item.status}</TableCell>
              <TableCell align="right">
                <Button size="small" onClick={() => setEditing(item)} aria-label={`${ANNOUNCEMENTS.edit}: ${item.title}`}>
                  {ANNOUNCEMENTS.edit}
                </Button>
                {item.status === 'published' ? (
                  <Button size="small" onClick={() => unpublish.mutate(item.id)} disabled={unpublish.isPending} aria-label={`${ANNOUNCEMENTS.unpublish}: ${item.title}`}>
                    {ANNOUNCEMENTS.unpublish}
                  </Button>
                ) : (
                  <Button size="small" onClick={() => publish.mutate(item.id)} disabled={publish.isPending} aria-label={`${ANNOUNCEMENTS.publish}: ${item.title}`}>
                    {ANNOUNCEMENTS.publish}
                  </Button>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {editing && <EditDialog announcement={editing} onClose={() => setEditing(undefined)} />}
    </>
  );
}

/** Shown to platform administrators only (the list of every announcement answers 403 to everyone else). */
function ManageSection() {
  const managed = useManagedAnnouncements();
  if (managed.data === null || managed.data === undefined) return null;
  return (
    <Stack spacing={2} component="section" aria-labelledby="announcements-manage">
      <Typography id="announcements-manage" variant="h5" component="h2">
        {ANNOUNCEMENTS.manage}
      </Typography>
      <CreateForm />
      <ManagedTable items={managed.data.items} />
    </Stack>
  );
}

export default function AnnouncementsScreen() {
  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        {ANNOUNCEMENTS.title}
      </Typography>
      <ReaderList />
      <ManageSection />
    </Stack>
  );
}
