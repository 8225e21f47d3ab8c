/**
 * Team Settings' Billing & Credits (the plan and the balance, Add Credits, the way to the Billing screen) and
 * Billing Configuration (admin guide: "Configure billing rules and thresholds": the billing time zone, the
 * overdraft limit, the low-balance thresholds — what PATCH …/billing accepts). Shown to whoever may read the
 * organization's billing; saving needs billing.write (owner, billing role): the API's 403 says so otherwise.
 * The form starts from the account's settings as GET …/billing answers them; only the fields changed are sent
 * (an emptied overdraft limit returns to the plan's, emptied thresholds clear them).
 */
import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { ApiProblem, api, idempotencyKey, unwrap } from '../../api/client';
import { formatDecimal, formatUsd } from '../../components/figures';
import { paths } from '../../routing/paths';
import { BILLING } from '../../texts';
import { AddCreditsButton } from '../billing/add-credits-dialog';
import { type BillingOverview, useBillingOverview, useBillingRefresh } from '../billing/billing.queries';

function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return supported.includes('UTC') ? supported : ['UTC', ...supported];
}

export function BillingSections({ orgId }: { orgId: string }) {
  const billing = useBillingOverview(orgId);
  // people without billing access see neither section (the API's 403); other failures say so
  if (billing.isPending || (billing.error instanceof ApiProblem && billing.error.status === 403)) return null;
  if (billing.isError) return <Alert severity="error">{billing.error.message}</Alert>;
  return (
    <>
      <Paper component="section" aria-labelledby="team-billing-credits" sx={{ p: 2 }}>
        <Typography id="team-billing-credits" variant="h6" component="h2" gutterBottom>
          {BILLING.billingAndCredits}
        </Typography>
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={3} sx={{ alignItems: { md: 'center' } }}>
          <Typography>
            {BILLING.planName}: <strong>{billing.data.plan.name}</strong>
          </Typography>
          <Typography>
            {BILLING.availableCredits}: <strong data-testid="team-available-credits">{formatDecimal(billing.data.credits.available)}</strong> ({formatUsd(billing.data.credits.availableUsd)})
          </Typography>
          <AddCreditsButton orgId={orgId} variant="outlined" />
          <Button component={RouterLink} to={paths.billing(orgId)}>
            {BILLING.openBilling}
          </Button>
        </Stack>
        {billing.data.suspended && <Alert severity="error" sx={{ mt: 2 }}>{BILLING.suspended}</Alert>}
      </Paper>
      <BillingConfiguration orgId={orgId} billing={billing.data} />
    </>
  );
}

function BillingConfiguration({ orgId, billing }: { orgId: string; billing: BillingOverview }) {
  const zones = useMemo(timeZones, []);
  const [timeZone, setTimeZone] = useState<string | null>(billing.timeZone);
  // the account's own settings as the API has them: the limit (empty: the plan's) and the thresholds, editable
  const current = {
    overdraftLimit: billing.settings?.overdraftLimit ?? '',
    thresholds: (billing.settings?.lowBalanceThresholds ?? []).join(', '),
  };
  const [overdraftLimit, setOverdraftLimit] = useState(current.overdraftLimit);
  const [thresholds, setThresholds] = useState(current.thresholds);
  const [saved, setSaved] = useState(false);
  const refresh = useBillingRefresh(orgId);
  const list = thresholds.split(',').map((value) => value.trim()).filter((value) => value !== '');
  const thresholdsChanged = list.join(', ') !== current.thresholds;
  const limitChanged = overdraftLimit.trim() !== current.overdraftLimit;
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/v1/organizations/{orgId}/billing', {
          params: { path: { orgId }, header: { 'Idempotency-Key': idempotencyKey() } },
          body: {
            ...(timeZone && timeZone !== billing.timeZone ? { timeZone } : {}),
            // emptied: back to the plan's limit
            ...(limitChanged ? { overdraftLimit: overdraftLimit.trim() === '' ? null : overdraftLimit.trim() } : {}),
            ...(thresholdsChanged ? { lowBalanceThresholds: list } : {}),
          },
        }),
      ),
    onSuccess: async (settings) => {
      setSaved(true);
      setOverdraftLimit(settings.overdraftLimit ?? '');
      setThresholds(settings.lowBalanceThresholds.join(', '));
      await refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    save.mutate();
  };
  const fieldError = (prefix: string) => (save.error instanceof ApiProblem ? save.error.errors.find((entry) => entry.field.startsWith(prefix))?.message : undefined);
  const unchanged = (timeZone ?? billing.timeZone) === billing.timeZone && !limitChanged && !thresholdsChanged;
  return (
    <Paper component="section" aria-labelledby="team-billing-configuration" sx={{ p: 2 }}>
      <Typography id="team-billing-configuration" variant="h6" component="h2" gutterBottom>
        {BILLING.billingConfiguration}
      </Typography>
      <Stack component="form" spacing={2} onSubmit={submit} noValidate sx={{ maxWidth: 560 }}>
        <Autocomplete
          options={zones}
          value={timeZone}
          onChange={(_event, value) => setTimeZone(value)}
          renderInput={(params) => <TextField {...params} label={BILLING.timeZone} error={!!fieldError('body.timeZone')} helperText={fieldError('body.timeZone') ?? BILLING.timeZoneHelp} />}
        />
        <TextField
          label={BILLING.overdraftLimitField}
          value={overdraftLimit}
          placeholder={formatDecimal(billing.credits.overdraftLimit)}
          onChange={(event) => setOverdraftLimit(event.target.value)}
          slotProps={{ htmlInput: { inputMode: 'decimal' }, inputLabel: { shrink: true } }}
          error={!!fieldError('body.overdraftLimit')}
          helperText={
            fieldError('body.overdraftLimit') ??
            `${BILLING.overdraftLimitHelp} (${billing.settings?.overdraftLimit != null ? BILLING.ownOverdraftLimit(formatDecimal(billing.settings.overdraftLimit)) : BILLING.planOverdraftLimit(formatDecimal(billing.credits.overdraftLimit))})`
          }
        />
        <TextField
          label={BILLING.lowBalanceThresholds}
          value={thresholds}
          onChange={(event) => setThresholds(event.target.value)}
          error={!!fieldError('body.lowBalanceThresholds')}
          helperText={fieldError('body.lowBalanceThresholds') ?? BILLING.lowBalanceThresholdsHelp}
        />
        {save.isError && !fieldError('body.') && <Alert severity="error">{save.error.message}</Alert>}
        {saved && <Alert severity="success">{BILLING.configurationSaved}</Alert>}
        <div>
          <Button type="submit" variant="contained" loading={save.isPending} disabled={unchanged}>
            {BILLING.saveConfiguration}
          </Button>
        </div>
      </Stack>
    </Paper>
  );
}
