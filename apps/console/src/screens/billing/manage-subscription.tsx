/**
 * Manage Subscription (dashboard guide; account administration: "the customer portal linked to our Stripe
 * account"): the payment provider's customer portal when there is one; with the manual provider (the API's 409)
 * a plan change form instead (a choice among the plans of GET /v1/billing/plans) — an upgrade applies now, prorated; a downgrade waits for the next period and can
 * be withdrawn by choosing the current plan again.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiProblem, api, idempotencyKey, unwrap } from '../../api/client';
import { formatDecimal, formatUsd } from '../../components/figures';
import { formatInstant } from '../../components/time-zones';
import { useTimeZone } from '../../components/dates';
import { BILLING } from '../../texts';
import { type BillingOverview, useBillingPlans, useBillingRefresh } from './billing.queries';

export function ManageSubscriptionButton({ orgId, billing, variant = 'outlined' }: { orgId: string; billing: BillingOverview; variant?: 'contained' | 'outlined' | 'text' }) {
  const [planForm, setPlanForm] = useState(false);
  const [notice, setNotice] = useState<string>();
  const portal = useMutation({
    mutationFn: async () => {
      const { data, error, response } = await api.POST('/v1/organizations/{orgId}/billing/portal-session', {
        params: { path: { orgId }, header: { 'Idempotency-Key': idempotencyKey() } },
        body: { returnUrl: window.location.href },
      });
      if (response.status === 201 && data) return window.location.assign(data.url);
      // 409: no provider with a portal (the manual one) — plans change here; 404: no customer at the provider yet
      if (response.status === 409) return setPlanForm(true);
      if (response.status === 404) return setNotice(BILLING.portalNeedsCheckout);
      await unwrap(Promise.resolve({ data, error, response }));
    },
  });
  return (
    <>
      <Button variant={variant} loading={portal.isPending} onClick={() => (setNotice(undefined), portal.mutate())}>
        {BILLING.manageSubscription}
      </Button>
      {notice && <Alert severity="info">{notice}</Alert>}
      {portal.isError && <Alert severity="error">{portal.error.message}</Alert>}
      {planForm && <PlanChangeDialog orgId={orgId} billing={billing} onClose={() => setPlanForm(false)} />}
    </>
  );
}

/** The scheduled downgrade, with the way back (the current plan again withdraws it). */
export function ScheduledChange({ orgId, billing }: { orgId: string; billing: BillingOverview }) {
  const zone = useTimeZone();
  const refresh = useBillingRefresh(orgId);
  const keep = useMutation({
    mutationFn: () => unwrap(api.PUT('/v1/organizations/{orgId}/billing/plan', { params: { path: { orgId } }, body: { planId: billing.plan.id } })),
    onSuccess: () => refresh(),
  });
  if (!billing.scheduledChange) return null;
  return (
    <Alert
      severity="info"
      action={
        <Button color="inherit" size="small" loading={keep.isPending} onClick={() => keep.mutate()}>
          {BILLING.cancelScheduledChange}
        </Button>
      }
    >
      {BILLING.scheduledChange(billing.scheduledChange.planName, formatInstant(billing.scheduledChange.effectiveAt, zone))}
      {keep.isError && ` ${keep.error.message}`}
    </Alert>
  );
}

function PlanChangeDialog({ orgId, billing, onClose }: { orgId: string; billing: BillingOverview; onClose: () => void }) {
  const [planId, setPlanId] = useState(billing.scheduledChange?.planId ?? billing.plan.id);
  const plans = useBillingPlans();
  const refresh = useBillingRefresh(orgId);
  const change = useMutation({
    mutationFn: () => unwrap(api.PUT('/v1/organizations/{orgId}/billing/plan', { params: { path: { orgId } }, body: { planId: planId.trim() } })),
    onSuccess: async () => {
      await refresh();
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate();
  };
  const planError = change.error instanceof ApiProblem ? change.error.errors.find((entry) => entry.field === 'body.planId')?.message : undefined;
  return (
    <Dialog open onClose={onClose} aria-labelledby="plan-change-title" fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="plan-change-title">{BILLING.changePlan}</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <DialogContentText>
              {BILLING.planName}: {billing.plan.name} ({billing.plan.id})
            </DialogContentText>
            <DialogContentText>{BILLING.upgradeExplained}</DialogContentText>
            <DialogContentText>{BILLING.downgradeExplained}</DialogContentText>
            {plans.isError && <Alert severity="error">{plans.error.message}</Alert>}
            <TextField
              select
              autoFocus
              required
              label={BILLING.planId}
              value={plans.data ? planId : ''}
              onChange={(event) => setPlanId(event.target.value)}
              disabled={!plans.data}
              error={planError !== undefined}
              helperText={planError ?? (plans.isPending ? BILLING.plansLoading : BILLING.planHelp)}
            >
              {(plans.data?.items ?? []).map((plan) => (
                <MenuItem key={plan.id} value={plan.id}>
                  {BILLING.planOption(plan.name, formatUsd(plan.monthlyFeeUsd), formatDecimal(plan.creditsPerPeriod))}
                  {plan.id === billing.plan.id ? ` (${BILLING.currentPlanOption})` : ''}
                </MenuItem>
              ))}
            </TextField>
            {change.isError && planError === undefined && <Alert severity="error">{change.error.message}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{BILLING.cancel}</Button>
          <Button type="submit" variant="contained" loading={change.isPending} disabled={planId.trim() === '' || !plans.data}>
            {BILLING.applyPlan}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
