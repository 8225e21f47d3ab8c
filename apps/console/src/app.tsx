/**
 * Routes: sign-in outside the shell, every screen inside it. A session that ends (sign-out, or a 401 from any
 * call) returns to sign-in with the page to come back to.
 */
import { useQueryClient } from '@tanstack/react-query';
import { Suspense, lazy, useEffect } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useMyOrganizations } from './api/account.queries';
import { AppShell } from './components/app-shell';
import { ErrorState, Loading } from './components/query-state';
import { paths } from './routing/paths';
import { SCREENS, screenPath } from './routing/screens';
import SignInScreen from './screens/sign-in/sign-in-screen';

const AcceptInviteScreen = lazy(() => import('./screens/accept-invite/accept-invite-screen'));
const SsoCallbackScreen = lazy(() => import('./screens/sign-in/sso-callback-screen'));
import { session } from './session/session';
import { STATES, SWITCHER } from './texts';
import Alert from '@mui/material/Alert';

function RequireSession({ children }: { children: React.ReactNode }) {
  const location = useLocation();
  if (session.token() === undefined) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`${paths.signIn}?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

/** `/`: the first organization's dashboard (the dashboard guide: the default landing page). */
function Home() {
  const organizations = useMyOrganizations();
  if (organizations.isPending) return <Loading />;
  if (organizations.isError) return <ErrorState error={organizations.error} onRetry={() => void organizations.refetch()} />;
  const first = organizations.data.items[0];
  if (first === undefined) return <Alert severity="info">{SWITCHER.noOrganization}</Alert>;
  return <Navigate to={paths.overview(first.id)} replace />;
}

function useSessionEnd(): void {
  const navigate = useNavigate();
  const location = useLocation();
  const queries = useQueryClient();
  useEffect(
    () =>
      session.subscribe((reason) => {
        if (reason === 'signed-in') return;
        queries.clear();
        const next = reason === 'expired' ? `&next=${encodeURIComponent(`${location.pathname}${location.search}`)}` : '';
        navigate(`${paths.signIn}?reason=${reason}${next}`, { replace: true });
      }),
    [navigate, location, queries],
  );
}

export function App() {
  useSessionEnd();
  return (
    <Routes>
      <Route path={paths.signIn} element={<SignInScreen />} />
      <Route
        path={paths.signInSso}
        element={
          <Suspense fallback={<Loading />}>
            <SsoCallbackScreen />
          </Suspense>
        }
      />
      <Route
        path={paths.acceptInvite}
        element={
          <Suspense fallback={<Loading />}>
            <AcceptInviteScreen />
          </Suspense>
        }
      />
      <Route
        element={
          <RequireSession>
            <AppShell />
          </RequireSession>
        }
      >
        <Route index element={<Home />} />
        {SCREENS.map((screen) => {
          const path = screenPath(screen);
          const Screen = screen.component;
          return (
            <Route
              key={path}
              path={path}
              element={
                <Suspense fallback={<Loading />}>
                  <Screen />
                </Suspense>
              }
            />
          );
        })}
        <Route path="*" element={<Alert severity="warning">{STATES.notFound}</Alert>} />
      </Route>
    </Routes>
  );
}
