/**
 * Sign-in with a user token (the bootstrap's owner token, or one from `npm run user-token`): checked against
 * GET /v1/me before it is kept for the session. When the gateway has single sign-on configured
 * (GET /v1/auth/config), "Sign in with SSO" comes first (see sso.ts).
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Divider from '@mui/material/Divider';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { session } from '../../session/session';
import { SIGN_IN } from '../../texts';
import { startSso } from './sso';

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
  const signInConfig = useQuery({ queryKey: ['sign-in-config'], queryFn: () => unwrap(api.GET('/v1/auth/config')), staleTime: Infinity });
  const sso = signInConfig.data?.oidc ?? undefined;

  const startSingleSignOn = async () => {
    if (sso === undefined) return;
    setBusy(true);
    try {
      await startSso(sso, safeNext(params.get('next')));
    } catch (error) {
      setBusy(false);
      setFailure(error instanceof Error ? error.message : String(error));
    }
  };

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
        {sso !== undefined && (
          <>
            <Button variant="contained" onClick={() => void startSingleSignOn()} disabled={busy}>
              {SIGN_IN.sso}
            </Button>
            <Divider>{SIGN_IN.orToken}</Divider>
          </>
        )}
        {signInConfig.isError && <Alert severity="warning">{SIGN_IN.ssoUnavailable}</Alert>}
        <TextField
          label={SIGN_IN.tokenLabel}
          type="password"
          autoComplete="off"
          required
          autoFocus={sso === undefined}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          helperText={SIGN_IN.help}
        />
        {failure !== undefined && (
          <Alert severity="error" role="alert">
            {failure}
          </Alert>
        )}
        <Button type="submit" variant={sso === undefined ? 'contained' : 'outlined'} disabled={busy || token.trim() === ''}>
          {SIGN_IN.submit}
        </Button>
      </Paper>
    </Box>
  );
}
