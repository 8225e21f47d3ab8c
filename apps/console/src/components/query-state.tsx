/**
 * The three states every screen shows the same way: loading (with the screen's own words), an error (the
 * guide's restriction message for a 403, a not-found for a 404, else the problem and a Retry), and the data.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Typography from '@mui/material/Typography';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiProblem } from '../api/client';
import { STATES } from '../texts';
import { AccessRestricted } from './access-restricted';

export function Loading({ label = STATES.loading }: { label?: string }) {
  return (
    <Box role="status" aria-live="polite" sx={{ display: 'flex', alignItems: 'center', gap: 2, p: 3 }}>
      <CircularProgress size={24} aria-hidden />
      <Typography>{label}</Typography>
    </Box>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error instanceof ApiProblem && error.status === 403) return <AccessRestricted />;
  if (error instanceof ApiProblem && error.status === 404) return <Alert severity="warning">{STATES.notFound}</Alert>;
  const detail = error instanceof Error ? error.message : String(error);
  return (
    <Alert
      severity="error"
      action={
        onRetry ? (
          <Button color="inherit" size="small" onClick={onRetry}>
            {STATES.retry}
          </Button>
        ) : undefined
      }
    >
      {STATES.error} {detail}
    </Alert>
  );
}

export function QueryState<T>({ query, loading, children }: { query: UseQueryResult<T>; loading?: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading {...(loading !== undefined ? { label: loading } : {})} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Typography color="text.secondary" sx={{ p: 3, textAlign: 'center' }}>
      {children}
    </Typography>
  );
}
