/**
 * The console's entry: emotion's style cache carries the CSP nonce the gateway put in index.html (styles are
 * allowed by nonce only), then the theme, TanStack Query and the router. Before the first render it fetches,
 * all at once, what the first page would otherwise ask for one step after another: the page's screen code,
 * and for a signed-in person the profile (its time zone shapes the screen's queries), their organizations and
 * the organization's workspaces (the switcher). The screen then mounts at once and its own calls start.
 */
import createCache from '@emotion/cache';
import { CacheProvider } from '@emotion/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, matchPath } from 'react-router';
import { type Profile, accountKeys, accountQueries } from './api/account.queries';
import { ApiProblem } from './api/client';
import { App } from './app';
import { parsePlace } from './components/workspace-context';
import { paths } from './routing/paths';
import { SCREENS, screenPath } from './routing/screens';
import { session } from './session/session';
import { ConsoleThemeProvider } from './theme/theme';

const nonce = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce || undefined;
const styleCache = createCache({ key: 'stw', ...(nonce !== undefined ? { nonce } : {}) });

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // a refusal (4xx) will not change by asking again; a 5xx or a network error may
      retry: (failures, error) => failures < 2 && !(error instanceof ApiProblem && error.status < 500),
    },
  },
});

/** The most the first render waits for the prefetches (a hung call must not hold the page blank). */
const PREFETCH_WAIT_MS = 2_000;

async function prefetchFirstPage(): Promise<void> {
  const { pathname, search } = window.location;
  const screen = SCREENS.find((candidate) => matchPath(screenPath(candidate), pathname) !== null);
  const match = screen === undefined ? null : matchPath(screenPath(screen), pathname);
  const signedIn = session.token() !== undefined;
  const { orgId } = parsePlace(pathname);
  const code = screen?.preload().catch(() => undefined) ?? Promise.resolve(undefined);
  const account: Array<Promise<unknown>> = [];
  if (signedIn) {
    account.push(queries.prefetchQuery(accountQueries.profile()), queries.prefetchQuery(accountQueries.organizations()));
    if (orgId !== undefined) account.push(queries.prefetchQuery(accountQueries.workspaces(orgId)));
  }
  const ready = await Promise.race([Promise.all([code, Promise.allSettled(account)]), new Promise<undefined>((resolve) => setTimeout(resolve, PREFETCH_WAIT_MS))]);
  // a 401 on the way ended the session before the app listened: the same return to sign-in as later
  if (signedIn && session.token() === undefined) {
    window.history.replaceState(null, '', `${paths.signIn}?reason=expired&next=${encodeURIComponent(`${pathname}${search}`)}`);
    return;
  }
  const prefetch = ready?.[0];
  if (signedIn && prefetch !== undefined && match !== null) {
    // the screen's own first calls, in flight while React renders (in the zone the screen will use: the profile's)
    const profile = queries.getQueryData<Profile>(accountKeys.profile);
    prefetch(queries, {
      orgId: match.params.orgId ?? '',
      wsId: match.params.wsId ?? '',
      search: new URLSearchParams(search),
      timeZone: profile?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
  }
}

function render(): void {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <CacheProvider value={styleCache}>
        <ConsoleThemeProvider>
          <QueryClientProvider client={queries}>
            <BrowserRouter>
              <App />
            </BrowserRouter>
          </QueryClientProvider>
        </ConsoleThemeProvider>
      </CacheProvider>
    </StrictMode>,
  );
}

void prefetchFirstPage().finally(render);
