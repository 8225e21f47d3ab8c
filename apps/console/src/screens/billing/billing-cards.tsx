/**
 * The dashboard guide's Current Billing and Current Plan cards, from GET …/billing (or the overview's `billing`):
 * shown on the Dashboard and on top of the Billing screen. The trend's colour comes from the API (a decrease is
 * good: green); the arrow and the sign say the same for those who do not see the colour.
 */
import ArrowDownwardIcon from '@mui/icons-material/ArrowDownward';
import ArrowUpwardIcon from '@mui/icons-material/ArrowUpward';
import RemoveIcon from '@mui/icons-material/Remove';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { Link as RouterLink } from 'react-router';
import { formatDecimal, formatUsd } from '../../components/figures';
import { paths } from '../../routing/paths';
import { BILLING } from '../../texts';
import { AddCreditsButton } from './add-credits-dialog';
import type { BillingOverview } from './billing.queries';
import { ManageSubscriptionButton, ScheduledChange } from './manage-subscription';

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography component="div" data-testid={testId}>
        {children}
      </Typography>
    </Box>
  );
}

const TREND_COLOURS = { green: 'success.main', red: 'error.main', neutral: 'text.secondary' } as const;

/** A calendar date (YYYY-MM-DD of the billing time zone) as people read it; a date has no zone to convert. */
function calendarDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year!, month! - 1, day!)).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function CurrentBillingCard({ orgId, billing, showInvoicesLink = true }: { orgId: string; billing: BillingOverview; showInvoicesLink?: boolean }) {
  const { trend } = billing;
  const TrendIcon = trend.direction === 'up' ? ArrowUpwardIcon : trend.direction === 'down' ? ArrowDownwardIcon : RemoveIcon;
  return (
    <Card component="section" aria-labelledby="billing-current">
      <CardContent>
        <Typography id="billing-current" variant="h6" component="h2" gutterBottom>
          {BILLING.currentBilling}
        </Typography>
        <Stack spacing={1.5}>
          <Field label={`${BILLING.currentMonthTotal} (${billing.currentMonth.period})`}>
            <Typography variant="h4" component="span" data-testid="billing-month-total">
              {formatUsd(billing.currentMonth.totalUsd)}
            </Typography>
          </Field>
          <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center', color: TREND_COLOURS[trend.colour] }} data-testid="billing-trend" data-colour={trend.colour}>
            <TrendIcon fontSize="small" aria-hidden />
            <Typography component="span" sx={{ color: 'text.primary' }}>
              {trend.percent === null ? BILLING.noTrend : BILLING.trend(trend.percent)}
            </Typography>
          </Stack>
          <Field label={`${BILLING.lastMonth} (${billing.lastMonth.period})`}>{formatUsd(billing.lastMonth.totalUsd)}</Field>
          <Field label={BILLING.nextInvoice} testId="billing-next-invoice">
            {calendarDate(billing.nextInvoiceDate)} ({billing.timeZone})
          </Field>
        </Stack>
        {showInvoicesLink && (
          <Button component={RouterLink} to={`${paths.billing(orgId)}#invoices`} sx={{ mt: 1 }}>
            {BILLING.viewPastInvoices}
          </Button>
        )}
      </CardContent>
    </Card>
  );
}

export function CurrentPlanCard({ orgId, billing }: { orgId: string; billing: BillingOverview }) {
  return (
    <Card component="section" aria-labelledby="billing-plan">
      <CardContent>
        <Typography id="billing-plan" variant="h6" component="h2" gutterBottom>
          {BILLING.currentPlan}
        </Typography>
        <Stack spacing={1.5}>
          <Field label={BILLING.planName} testId="billing-plan-name">
            {billing.plan.name}
          </Field>
          <Typography variant="body2" color="text.secondary">
            {BILLING.monthlyFee(formatUsd(billing.plan.monthlyFeeUsd), formatDecimal(billing.plan.creditsPerPeriod))}
          </Typography>
          <ScheduledChange orgId={orgId} billing={billing} />
          <Field label={BILLING.availableCredits}>
            <Typography variant="h4" component="span" data-testid="billing-available-credits">
              {formatDecimal(billing.credits.available)}
            </Typography>{' '}
            <Typography component="span" color="text.secondary">
              {BILLING.creditsWorth(formatUsd(billing.credits.availableUsd))}
            </Typography>
          </Field>
          <Field label={BILLING.overdraftLimit}>{formatDecimal(billing.credits.overdraftLimit)}</Field>
          {billing.suspended && <Alert severity="error">{BILLING.suspended}</Alert>}
          <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: 'wrap' }}>
            <AddCreditsButton orgId={orgId} />
            <ManageSubscriptionButton orgId={orgId} billing={billing} />
          </Stack>
        </Stack>
      </CardContent>
    </Card>
  );
}
