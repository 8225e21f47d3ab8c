/** The four cards (admin guide, part 2): Total Cost, Tokens Used, Avg Response Time, Cost per Token, each with its second line. */
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { formatCount, formatMs, formatPercent, formatUsd } from '../../components/figures';
import { USAGE_ANALYTICS } from '../../texts';
import type { UsageSummary } from './usage.queries';

function Figure({ title, value, detail, testId }: { title: string; value: string; detail: string; testId: string }) {
  return (
    <Card variant="outlined" component="section" aria-label={title} data-testid={testId}>
      <CardContent>
        <Typography component="h2" variant="subtitle2" color="text.secondary">
          {title}
        </Typography>
        <Typography variant="h5" component="p" sx={{ my: 0.5, overflowWrap: 'anywhere' }} data-testid={`${testId}-value`}>
          {value}
        </Typography>
        <Typography variant="body2" color="text.secondary">
          {detail}
        </Typography>
      </CardContent>
    </Card>
  );
}

export function SummaryCards({ summary }: { summary: UsageSummary }) {
  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fit, minmax(200px, 1fr))' }}>
      <Figure testId="total-cost" title={USAGE_ANALYTICS.totalCost} value={formatUsd(summary.totalCost)} detail={USAGE_ANALYTICS.apiCalls(formatCount(summary.calls))} />
      <Figure
        testId="tokens-used"
        title={USAGE_ANALYTICS.tokensUsed}
        value={formatCount(summary.tokens.total)}
        detail={USAGE_ANALYTICS.tokenBreakdown(formatCount(summary.tokens.input), formatCount(summary.tokens.output))}
      />
      <Figure
        testId="avg-response-time"
        title={USAGE_ANALYTICS.avgResponseTime}
        value={formatMs(summary.averageResponseTimeMs)}
        detail={summary.successRate === null ? '—' : USAGE_ANALYTICS.successRate(formatPercent(summary.successRate))}
      />
      <Figure testId="cost-per-token" title={USAGE_ANALYTICS.costPerToken} value={summary.costPerToken === null ? '—' : formatUsd(summary.costPerToken)} detail={USAGE_ANALYTICS.averageEfficiency} />
    </Box>
  );
}
