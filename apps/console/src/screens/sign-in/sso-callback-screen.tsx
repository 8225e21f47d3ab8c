/**
 * Where the OIDC provider sends the browser back (`/sign-in/sso?code=…&state=…`): finishes the sign-in (see
 * sso.ts), checks with GET /v1/me that Steward knows the person, keeps the token for the session until it
 * expires, and goes on to the page sign-in was asked from.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { paths } from '../../routing/paths';
import { session } from '../../session/session';
import { SIGN_IN } from '../../texts';
import { SsoError, finishSso } from './sso';

export default function SsoCallbackScreen() {
  const navigate = useNavigate();
  const [failure, setFailure] = useState<string | undefined>();
  const started = useRef(false);

  useEffect(() => {
    // the pending sign-in is used once: a second run (React's development double effects) must not consume it again
    if (started.current) return;
    started.current = true;
    const search = new URLSearchParams(window.location.search);
    // the code and state leave the address bar (and the history) before anything else
    navigate(paths.signInSso, { replace: true });
    void (async () => {
      try {
        const result = await finishSso(search);
        const me = await api.GET('/v1/me', { headers: { authorization: `Bearer ${result.token}` } });
        if (me.response.status === 401) {
          setFailure(SIGN_IN.ssoUnknownMember(result.email ?? '?'));
          return;
        }
        if (!me.response.ok) {
          setFailure(me.error?.detail ?? me.response.statusText);
          return;
        }
        session.signIn(result.token, result.expiresAt);
        navigate(result.next, { replace: true });
      } catch (error) {
        setFailure(error instanceof SsoError || error instanceof Error ? error.message : String(error));
      }
    })();
  }, [navigate]);

  return (
    <Box component="main" sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2 }}>
      <Paper sx={{ p: 4, width: '100%', maxWidth: 460, display: 'grid', gap: 2 }} elevation={3}>
        <Typography variant="h5" component="h1">
          {SIGN_IN.title}
        </Typography>
        {failure === undefined ? (
          <Box role="status" sx={{ display: 'flex', gap: 2, alignItems: 'center' }}>
            <CircularProgress size={24} aria-hidden />
            {SIGN_IN.ssoProgress}
          </Box>
        ) : (
          <>
            <Alert severity="error" role="alert">
              {failure}
            </Alert>
            <Button component={RouterLink} to={paths.signIn} variant="contained">
              {SIGN_IN.ssoBack}
            </Button>
          </>
        )}
      </Paper>
    </Box>
  );
}
