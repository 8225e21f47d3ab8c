/**
 * Add Credits (dashboard guide: "purchase additional credits without navigating away"): with the manual
 * provider the API grants at once (201) and the new balance shows; with a payment provider that has a checkout
 * the API answers 202 with the payment page, where the browser goes. One Idempotency-Key per opened dialog and
 * values, so a double click or a retry grants once.
 */
import AddIcon from '@mui/icons-material/Add';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiProblem, api, unwrap } from '../../api/client';
import { paths } from '../../routing/paths';
import { BILLING } from '../../texts';
import { useBillingRefresh, useIdempotencyKeys } from './billing.queries';

const KINDS = ['purchase', 'promotional', 'manual_adjustment'] as const;
type Kind = (typeof KINDS)[number];

function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiProblem ? error.errors.find((entry) => entry.field === field)?.message : undefined;
}

export function AddCreditsButton({ orgId, variant = 'contained' }: { orgId: string; variant?: 'contained' | 'outlined' | 'text' }) {
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState<string>();
  return (
    <>
      <Button variant={variant} startIcon={<AddIcon />} onClick={() => setOpen(true)}>
        {BILLING.addCredits}
      </Button>
      {open && <AddCreditsDialog orgId={orgId} onClose={(message) => (setOpen(false), setDone(message))} />}
      <Snackbar open={done !== undefined} autoHideDuration={5000} onClose={() => setDone(undefined)} message={done} />
    </>
  );
}

function AddCreditsDialog({ orgId, onClose }: { orgId: string; onClose: (message?: string) => void }) {
  const keyFor = useIdempotencyKeys();
  const [credits, setCredits] = useState('');
  const [kind, setKind] = useState<Kind>('purchase');
  const [reason, setReason] = useState('');
  const refresh = useBillingRefresh(orgId);
  const grant = useMutation({
    mutationFn: async () => {
      const back = `${window.location.origin}${paths.billing(orgId)}`;
      const body = { credits: credits.trim(), kind, ...(reason.trim() ? { reason: reason.trim() } : {}), successUrl: `${back}?checkout=success`, cancelUrl: `${back}?checkout=cancelled` };
      const { data, error, response } = await api.POST('/v1/organizations/{orgId}/billing/credits', { params: { path: { orgId }, header: { 'Idempotency-Key': keyFor(body) } }, body });
      if (response.status === 202 && data && 'url' in data) {
        window.location.assign(data.url);
        return BILLING.checkoutRedirect;
      }
      const granted = await unwrap(Promise.resolve({ data, error, response }));
      await refresh();
      return 'grantId' in granted ? BILLING.granted(granted.credits, granted.balance) : BILLING.checkoutRedirect;
    },
    onSuccess: (message) => onClose(message),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    grant.mutate();
  };
  const creditsError = fieldError(grant.error, 'body.credits');
  return (
    <Dialog open onClose={() => onClose()} aria-labelledby="add-credits-title" fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="add-credits-title">{BILLING.addCredits}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <TextField
              autoFocus
              required
              label={BILLING.credits}
              value={credits}
              onChange={(event) => setCredits(event.target.value)}
              slotProps={{ htmlInput: { inputMode: 'decimal' } }}
              error={creditsError !== undefined}
              helperText={creditsError ?? BILLING.creditsHelp}
            />
            <TextField select label={BILLING.kind} value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
              {KINDS.map((option) => (
                <MenuItem key={option} value={option}>
                  {BILLING.kinds[option]}
                </MenuItem>
              ))}
            </TextField>
            <TextField label={BILLING.reason} value={reason} onChange={(event) => setReason(event.target.value)} />
            {grant.isError && creditsError === undefined && <Alert severity="error">{grant.error.message}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => onClose()}>{BILLING.cancel}</Button>
          <Button type="submit" variant="contained" loading={grant.isPending} disabled={credits.trim() === ''}>
            {BILLING.grant}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
