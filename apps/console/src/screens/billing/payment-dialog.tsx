/**
 * A payment received outside Steward for an open invoice (the manual provider): the amount must be the total
 * due (the API's 400 names `body.amountUsd` otherwise), the reference identifies the transfer; the same
 * reference again changes nothing.
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
import { formatUsd } from '../../components/figures';
import { BILLING } from '../../texts';
import { type Invoice, useBillingRefresh, useIdempotencyKeys } from './billing.queries';

export function PaymentDialog({ orgId, invoice, name, onClose }: { orgId: string; invoice: Invoice; name: string; onClose: () => void }) {
  const keyFor = useIdempotencyKeys();
  const [amountUsd, setAmountUsd] = useState(invoice.totalDueUsd);
  const [reference, setReference] = useState('');
  const refresh = useBillingRefresh(orgId);
  const pay = useMutation({
    mutationFn: () => {
      const body = { amountUsd: amountUsd.trim(), reference: reference.trim() };
      return unwrap(api.POST('/v1/organizations/{orgId}/billing/invoices/{id}/payments', { params: { path: { orgId, id: invoice.id }, header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: async () => {
      await refresh();
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    pay.mutate();
  };
  const fieldError = (field: string) => (pay.error instanceof ApiProblem ? pay.error.errors.find((entry) => entry.field === field)?.message : undefined);
  const amountError = fieldError('body.amountUsd');
  const referenceError = fieldError('body.reference');
  return (
    <Dialog open onClose={onClose} aria-labelledby="payment-title" fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="payment-title">{BILLING.paymentTitle(name)}</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <DialogContentText>{BILLING.paymentExplained(formatUsd(invoice.totalDueUsd))}</DialogContentText>
            <TextField required label={BILLING.amountUsd} value={amountUsd} onChange={(event) => setAmountUsd(event.target.value)} slotProps={{ htmlInput: { inputMode: 'decimal' } }} error={amountError !== undefined} helperText={amountError} />
            <TextField autoFocus required label={BILLING.reference} value={reference} onChange={(event) => setReference(event.target.value)} error={referenceError !== undefined} helperText={referenceError ?? BILLING.referenceHelp} />
            {pay.isError && amountError === undefined && referenceError === undefined && <Alert severity="error">{pay.error.message}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{BILLING.cancel}</Button>
          <Button type="submit" variant="contained" loading={pay.isPending} disabled={reference.trim() === '' || amountUsd.trim() === ''}>
            {BILLING.save}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
