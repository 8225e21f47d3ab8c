/**
 * Accept Invite (admin guide: "invitees use Accept Invite"): the link Team Settings shows after an invitation
 * carries the token in its fragment (never sent to a server, never in a log). Signed in, you join as yourself;
 * otherwise you join as a new person under the invited email, and the user token the answer carries (once)
 * becomes this session's.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { ApiProblem, api, idempotencyKey, unwrap } from '../../api/client';
import { paths } from '../../routing/paths';
import { session } from '../../session/session';
import { ACCEPT_INVITE } from '../../texts';

export default function AcceptInviteScreen() {
  const location = useLocation();
  const navigate = useNavigate();
  const [token, setToken] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token') ?? '');
  const [name, setName] = useState('');
  const signedIn = session.token() !== undefined;
  // one key per screen: a retried click is the same acceptance
  const [key] = useState(idempotencyKey);
  const accept = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/invitations/accept', {
          params: { header: { 'Idempotency-Key': key } },
          body: { token: token.trim(), ...(!signedIn && name.trim() !== '' ? { name: name.trim() } : {}) },
        }),
      ),
    onSuccess: (accepted) => {
      if (accepted.token !== undefined) session.signIn(accepted.token);
      navigate(accepted.organizationId !== undefined ? paths.overview(accepted.organizationId) : '/', { replace: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate();
  };
  const tokenError = accept.error instanceof ApiProblem ? accept.error.errors.find((error) => error.field === 'body.token')?.message : undefined;
  return (
    <Box component="main" sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2 }}>
      <Paper component="form" onSubmit={submit} sx={{ p: 4, width: '100%', maxWidth: 460, display: 'grid', gap: 2 }} elevation={3}>
        <Typography variant="h5" component="h1">
          {ACCEPT_INVITE.title}
        </Typography>
        <Typography color="text.secondary">{signedIn ? ACCEPT_INVITE.asYourself : ACCEPT_INVITE.asNewPerson}</Typography>
        <TextField label={ACCEPT_INVITE.token} required value={token} onChange={(event) => setToken(event.target.value)} error={!!tokenError} helperText={tokenError} autoComplete="off" />
        {!signedIn && <TextField label={ACCEPT_INVITE.name} value={name} onChange={(event) => setName(event.target.value)} autoComplete="name" />}
        {accept.isError && !tokenError && (
          <Alert severity="error" role="alert">
            {accept.error.message}
          </Alert>
        )}
        <Button type="submit" variant="contained" loading={accept.isPending} disabled={token.trim() === ''}>
          {ACCEPT_INVITE.submit}
        </Button>
      </Paper>
    </Box>
  );
}
