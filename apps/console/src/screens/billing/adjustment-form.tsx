/**
 * A manual adjustment of the balance (owners and the billing role): a signed amount of credits and the reason,
 * sent as they are — the API judges them (non-zero, an exact decimal, a reason) and its 400 names the field,
 * shown under it. The statement then shows the entry with who made it and why.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiProblem, api, unwrap } from '../../api/client';
import { formatDecimal } from '../../components/figures';
import { BILLING } from '../../texts';
import { useBillingRefresh, useIdempotencyKeys } from './billing.queries';

export function AdjustmentForm({ orgId }: { orgId: string }) {
  const keyFor = useIdempotencyKeys();
  const [amountCredits, setAmountCredits] = useState('');
  const [reason, setReason] = useState('');
  const refresh = useBillingRefresh(orgId);
  const adjust = useMutation({
    mutationFn: () => {
      const body = { amountCredits: amountCredits.trim(), reason: reason.trim() };
      return unwrap(api.POST('/v1/organizations/{orgId}/billing/credits/adjustments', { params: { path: { orgId }, header: { 'Idempotency-Key': keyFor(body) } }, body }));
    },
    onSuccess: async () => {
      setAmountCredits('');
      setReason('');
      await refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    adjust.mutate();
  };
  const fieldError = (field: string) => (adjust.error instanceof ApiProblem ? adjust.error.errors.find((entry) => entry.field === field)?.message : undefined);
  const amountError = fieldError('body.amountCredits');
  const reasonError = fieldError('body.reason');
  return (
    <Paper component="section" aria-labelledby="billing-adjustment" sx={{ p: 2 }}>
      <Typography id="billing-adjustment" variant="h6" component="h2" gutterBottom>
        {BILLING.adjustment}
      </Typography>
      <Typography variant="body2" sx={{ mb: 2 }}>
        {BILLING.adjustmentExplained}
      </Typography>
      <Stack component="form" direction={{ xs: 'column', md: 'row' }} spacing={2} onSubmit={submit} noValidate sx={{ alignItems: { md: 'flex-start' } }}>
        <TextField
          required
          label={BILLING.adjustmentAmount}
          value={amountCredits}
          onChange={(event) => setAmountCredits(event.target.value)}
          slotProps={{ htmlInput: { inputMode: 'decimal' } }}
          error={amountError !== undefined}
          helperText={amountError ?? BILLING.adjustmentAmountHelp}
        />
        <TextField required label={BILLING.adjustmentReason} value={reason} onChange={(event) => setReason(event.target.value)} error={reasonError !== undefined} helperText={reasonError} sx={{ flex: 1 }} />
        <Button type="submit" variant="contained" loading={adjust.isPending} disabled={amountCredits.trim() === ''} sx={{ mt: { md: 1 } }}>
          {BILLING.applyAdjustment}
        </Button>
      </Stack>
      {adjust.isError && amountError === undefined && reasonError === undefined && <Alert severity="error" sx={{ mt: 2 }}>{adjust.error.message}</Alert>}
      {adjust.isSuccess && (
        <Alert severity="success" sx={{ mt: 2 }}>
          {BILLING.adjusted(formatDecimal(adjust.data.amountCredits, { signed: true }), formatDecimal(adjust.data.balance))}
        </Alert>
      )}
    </Paper>
  );
}
