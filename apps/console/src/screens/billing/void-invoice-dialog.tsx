/**
 * Void an open invoice (owners and the billing role): a confirmation with the reason the API records. A void
 * invoice no longer asks for payment and gives no credits back; a paid or already void one is the API's 409,
 * shown as it says.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiProblem, api, unwrap } from '../../api/client';
import { BILLING } from '../../texts';
import { type Invoice, useBillingRefresh, useIdempotencyKeys } from './billing.queries';

export function VoidInvoiceDialog({ orgId, invoice, name, onClose }: { orgId: string; invoice: Invoice; name: string; onClose: () => void }) {
  const keyFor = useIdempotencyKeys();
  const [reason, setReason] = useState('');
  const refresh = useBillingRefresh(orgId);
  const voiding = useMutation({
    mutationFn: () => {
      const body = { reason: reason.trim() };
      return unwrap(api.POST('/v1/organizations/{orgId}/billing/invoices/{id}/void', { params: { path: { orgId, id: invoice.id }, header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: async () => {
      await refresh();
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    voiding.mutate();
  };
  const reasonError = voiding.error instanceof ApiProblem ? voiding.error.errors.find((entry) => entry.field === 'body.reason')?.message : undefined;
  return (
    <Dialog open onClose={onClose} aria-labelledby="void-title" fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="void-title">{BILLING.voidTitle(name)}</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <DialogContentText>{BILLING.voidExplained}</DialogContentText>
            <TextField autoFocus required label={BILLING.voidReason} value={reason} onChange={(event) => setReason(event.target.value)} error={reasonError !== undefined} helperText={reasonError ?? BILLING.voidReasonHelp} />
            {voiding.isError && reasonError === undefined && <Alert severity="error">{voiding.error.message}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{BILLING.cancel}</Button>
          <Button type="submit" color="error" variant="contained" loading={voiding.isPending} disabled={reason.trim() === ''}>
            {BILLING.confirmVoid}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
