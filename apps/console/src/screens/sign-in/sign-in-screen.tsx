/**
 * Sign-in with a user token (the bootstrap's owner token, or one from `npm run user-token`): checked against
 * GET /v1/me before it is kept for the session.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { session } from '../../session/session';
import { SIGN_IN } from '../../texts';

/** Only a path of this console (never another origin) is a place to return to. */
function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function SignInScreen() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [token, setToken] = useState('');
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const answer = await api.GET('/v1/me', { headers: { authorization: `Bearer ${token.trim()}` } });
      if (!answer.response.ok) {
        setFailure(answer.response.status === 401 ? SIGN_IN.invalid : (answer.error?.detail ?? answer.response.statusText));
        return;
      }
      session.signIn(token.trim());
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box component="main" sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2 }}>
      <Paper component="form" onSubmit={submit} sx={{ p: 4, width: '100%', maxWidth: 460, display: 'grid', gap: 2 }} elevation={3}>
        <Typography variant="h5" component="h1">
          {SIGN_IN.title}
        </Typography>
        {params.get('reason') === 'expired' && <Alert severity="info">{SIGN_IN.expired}</Alert>}
        <TextField
          label={SIGN_IN.tokenLabel}
          type="password"
          autoComplete="off"
          required
          autoFocus
          value={token}
          onChange={(event) => setToken(event.target.value)}
          helperText={SIGN_IN.help}
        />
        {failure !== undefined && (
          <Alert severity="error" role="alert">
            {failure}
          </Alert>
        )}
        <Button type="submit" variant="contained" disabled={busy || token.trim() === ''}>
          {SIGN_IN.submit}
        </Button>
      </Paper>
    </Box>
  );
}
