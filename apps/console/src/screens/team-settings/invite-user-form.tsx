/** Onboarding: invite a user to the workspace by email, and the invitations still pending. */
import CloseIcon from '@mui/icons-material/Close';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { type UseQueryResult, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiProblem, api, idempotencyKey, unwrap } from '../../api/client';
import { DateTime } from '../../components/dates';
import { Empty, QueryState } from '../../components/query-state';
import { paths } from '../../routing/paths';
import { TEAM_SETTINGS } from '../../texts';
import { type InvitationPage, ROLES, type Role, teamKeys } from './team.queries';

export function InviteUserForm({ workspaceId, invitations }: { workspaceId: string; invitations: UseQueryResult<InvitationPage> }) {
  const queries = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [message, setMessage] = useState('');
  const [sentTo, setSentTo] = useState<string | undefined>();
  const [link, setLink] = useState<string | undefined>();
  const invite = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/workspaces/{wsId}/invitations', {
          params: { path: { wsId: workspaceId }, header: { 'Idempotency-Key': idempotencyKey() } },
          body: { email: email.trim(), role, ...(message.trim() !== '' ? { message: message.trim() } : {}) },
        }),
      ),
    onSuccess: (invitation) => {
      setSentTo(invitation.email);
      setLink(paths.inviteLink(window.location.origin, invitation.token));
      setEmail('');
      setMessage('');
      void queries.invalidateQueries({ queryKey: teamKeys.invitations(workspaceId) });
    },
  });
  const revoke = useMutation({
    mutationFn: (invitationId: string) =>
      unwrap(api.DELETE('/v1/workspaces/{wsId}/invitations/{id}', { params: { path: { wsId: workspaceId, id: invitationId } } })),
    onSuccess: () => void queries.invalidateQueries({ queryKey: teamKeys.invitations(workspaceId) }),
  });
  const fieldError = (field: string) => (invite.error instanceof ApiProblem ? invite.error.errors.find((error) => error.field === `body.${field}`)?.message : undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  return (
    <Card component="section" aria-labelledby="team-onboarding">
      <CardContent>
        <Typography id="team-onboarding" variant="h6" component="h2" gutterBottom>
          {TEAM_SETTINGS.onboarding}
        </Typography>
        <Stack component="form" onSubmit={submit} direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'flex-start' } }}>
          <TextField
            label={TEAM_SETTINGS.inviteEmail}
            type="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            error={!!fieldError('email')}
            helperText={fieldError('email')}
            sx={{ minWidth: 260 }}
          />
          <TextField select label={TEAM_SETTINGS.inviteRole} value={role} onChange={(event) => setRole(event.target.value as Role)} sx={{ minWidth: 140 }}>
            {ROLES.map((candidate) => (
              <MenuItem key={candidate} value={candidate}>
                {candidate}
              </MenuItem>
            ))}
          </TextField>
          <TextField label={TEAM_SETTINGS.inviteMessage} value={message} onChange={(event) => setMessage(event.target.value)} sx={{ flexGrow: 1 }} />
          <Button type="submit" variant="contained" loading={invite.isPending} sx={{ alignSelf: { md: 'center' } }}>
            {TEAM_SETTINGS.invite}
          </Button>
        </Stack>
        {revoke.isError && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {revoke.error.message}
          </Alert>
        )}
        {invite.isError && !fieldError('email') && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {invite.error.message}
          </Alert>
        )}
        {link !== undefined && (
          <Alert
            severity="success"
            sx={{ mt: 2, wordBreak: 'break-all' }}
            action={
              <>
                <IconButton aria-label={TEAM_SETTINGS.copyLink} color="inherit" onClick={() => void navigator.clipboard?.writeText(link)}>
                  <ContentCopyIcon fontSize="small" />
                </IconButton>
                <IconButton aria-label={TEAM_SETTINGS.hideLink} color="inherit" onClick={() => setLink(undefined)}>
                  <CloseIcon fontSize="small" />
                </IconButton>
              </>
            }
          >
            {TEAM_SETTINGS.inviteLink}{' '}
            <Box component="code" data-testid="invite-link">
              {link}
            </Box>
          </Alert>
        )}
        <Typography variant="subtitle1" component="h3" sx={{ mt: 3 }}>
          {TEAM_SETTINGS.pendingInvitations}
        </Typography>
        <QueryState query={invitations}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>{TEAM_SETTINGS.noInvitations}</Empty>
            ) : (
              <List dense aria-label={TEAM_SETTINGS.pendingInvitations}>
                {page.items.map((invitation) => (
                  <ListItem
                    key={invitation.id}
                    divider
                    secondaryAction={
                      <Button size="small" color="error" disabled={revoke.isPending} onClick={() => revoke.mutate(invitation.id)} aria-label={TEAM_SETTINGS.revokeLabel(invitation.email)}>
                        {TEAM_SETTINGS.revoke}
                      </Button>
                    }
                  >
                    <ListItemText primary={`${invitation.email} · ${invitation.role}`} secondary={<DateTime value={invitation.createdAt} />} />
                  </ListItem>
                ))}
              </List>
            )
          }
        </QueryState>
      </CardContent>
      <Snackbar open={sentTo !== undefined} autoHideDuration={4000} onClose={() => setSentTo(undefined)} message={sentTo !== undefined ? TEAM_SETTINGS.invited(sentTo) : ''} />
    </Card>
  );
}
