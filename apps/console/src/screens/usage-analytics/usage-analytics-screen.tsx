/**
 * Usage Analytics (admin guide, part 2; the chargeback page): the filter bar, the four cards, the Usage Timeline
 * with its Hourly/Daily/Weekly/Monthly selector, Usage by Model, Model Usage Statistics and Recent Usage Details
 * with Previous/Next "Page X of Y". Every filter, the interval, the page and the tables' sort live in the URL;
 * dates and buckets are in the profile's time zone, named. Budget Alerts (thresholds crossed, low credit
 * balances) of the same workspace(s) and period close the page, paged on their own (`alerts` in the URL).
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { Link as RouterLink, useParams } from 'react-router';
import { useProfile, useWorkspaces } from '../../api/account.queries';
import { ApiProblem } from '../../api/client';
import { useTimeZone } from '../../components/dates';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, Loading, QueryState } from '../../components/query-state';
import { paths } from '../../routing/paths';
import { useUrlState } from '../../routing/url-state';
import { BUDGET_ALERTS, USAGE_ANALYTICS } from '../../texts';
import { BudgetAlertsTable } from './budget-alerts';
import { SummaryCards } from './summary-cards';
import { ModelDoughnut, TimelineChart } from './usage-charts';
import { UsageFilterBar } from './usage-filter-bar';
import { ModelStatisticsTable, RecentUsageTable } from './usage-tables';
import {
  INTERVALS,
  type Interval,
  USAGE_URL_KEYS,
  allUsageEvents,
  prefetchUsage,
  useModelUsage,
  useRecentAgents,
  useUsageByModel,
  useUsageEvents,
  useUsageSummary,
  useUsageTimeline,
  usageView,
} from './usage.queries';

const KEYS = USAGE_URL_KEYS;

export { prefetchUsage as prefetch };

function Section({ title, action, children }: { title: string; action?: ReactNode; children: ReactNode }) {
  return (
    <Paper component="section" aria-label={title} sx={{ p: 2, minWidth: 0 }}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1, gap: 2, flexWrap: 'wrap' }}>
        <Typography component="h2" variant="h6">
          {title}
        </Typography>
        {action}
      </Stack>
      {children}
    </Paper>
  );
}

export default function UsageAnalyticsScreen() {
  const { orgId = '', wsId = '' } = useParams();
  const timeZone = useTimeZone();
  const workspaces = useWorkspaces(orgId);
  const [url, setUrl] = useUrlState(KEYS);
  const { period, interval, workspace } = usageView(orgId, wsId, url, timeZone);
  const page = pageFrom(url.page);
  // the buckets are in the profile's zone: asking before it is known would ask everything twice when it differs
  // from the browser's (main.tsx fetches the profile before the first render, so this rarely waits)
  const zoneKnown = !useProfile().isPending;
  const query = zoneKnown ? usageView(orgId, wsId, url, timeZone).query : undefined;

  const summary = useUsageSummary(query);
  const timeline = useUsageTimeline(query, interval);
  const byModel = useUsageByModel(query);
  const models = useModelUsage(query);
  const events = useUsageEvents(query, page);
  const agents = useRecentAgents(query);
  const csvScope = `${workspace}-${period === 'custom' ? `${url.from}_${url.to}` : period}`;

  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        {USAGE_ANALYTICS.title}
      </Typography>
      <UsageFilterBar
        workspace={workspace}
        workspaces={workspaces.data ?? []}
        period={period}
        from={url.from}
        to={url.to}
        agent={url.agent}
        agents={agents.data ?? []}
        timeZone={timeZone}
        onChange={(changes) => {
          const next: Partial<Record<(typeof KEYS)[number], string>> = { ...changes };
          if (changes.ws !== undefined) next.ws = changes.ws === wsId ? '' : changes.ws;
          if (changes.period !== undefined) {
            next.period = changes.period === '30d' ? '' : changes.period;
            if (changes.period !== 'custom') Object.assign(next, { from: '', to: '' });
          }
          setUrl({ ...next, alerts: '' }, { resetPage: true });
        }}
      />
      {!zoneKnown ? (
        <Loading label={USAGE_ANALYTICS.loading} />
      ) : query === undefined ? (
        <Alert severity="info">{USAGE_ANALYTICS.customRangeHelp}</Alert>
      ) : summary.error instanceof ApiProblem && summary.error.status === 400 ? (
        // a filter the API refuses (a custom range over its limit): its words, on the filter, not an error page
        <Alert severity="warning" data-testid="filter-refused">
          {summary.error.errors.length > 0 ? summary.error.errors.map((error) => error.message).join('; ') : summary.error.message}
        </Alert>
      ) : (
        <QueryState query={summary} loading={USAGE_ANALYTICS.loading}>
          {(figures) => (
            <Stack spacing={3}>
              {figures.unpricedCalls > 0 && (
                <Alert severity="warning" data-testid="unpriced-calls">
                  {USAGE_ANALYTICS.unpricedCalls(figures.unpricedCalls)}{' '}
                  <Link component={RouterLink} to={paths.workspace(orgId, wsId, 'model-settings')}>
                    {USAGE_ANALYTICS.setPrices}
                  </Link>
                </Alert>
              )}
              <SummaryCards summary={figures} />
              <Section
                title={`${USAGE_ANALYTICS.usageTimeline} (${timeZone})`}
                action={
                  <ToggleButtonGroup size="small" exclusive value={interval} aria-label={USAGE_ANALYTICS.interval} onChange={(_event, value: Interval | null) => value !== null && setUrl({ interval: value === 'day' ? '' : value })}>
                    {INTERVALS.map((option) => (
                      <ToggleButton key={option} value={option}>
                        {USAGE_ANALYTICS.intervals[option]}
                      </ToggleButton>
                    ))}
                  </ToggleButtonGroup>
                }
              >
                <QueryState query={timeline} loading={USAGE_ANALYTICS.loading}>
                  {(answer) => (figures.calls === 0 ? <Empty>{USAGE_ANALYTICS.noUsage}</Empty> : <TimelineChart timeline={answer} interval={answer.interval} timeZone={answer.timeZone} />)}
                </QueryState>
              </Section>
              <Box sx={{ display: 'grid', gap: 3, gridTemplateColumns: { xs: '1fr', lg: 'minmax(0, 2fr) minmax(0, 3fr)' } }}>
                <Section title={USAGE_ANALYTICS.usageByModel}>
                  <QueryState query={byModel} loading={USAGE_ANALYTICS.loading}>
                    {(answer) => (answer.models.length === 0 ? <Empty>{USAGE_ANALYTICS.noUsage}</Empty> : <ModelDoughnut byModel={answer} />)}
                  </QueryState>
                </Section>
                <Section title={USAGE_ANALYTICS.modelStatistics}>
                  <QueryState query={models} loading={USAGE_ANALYTICS.loading}>
                    {(answer) => (answer.items.length === 0 ? <Empty>{USAGE_ANALYTICS.noUsage}</Empty> : <ModelStatisticsTable rows={answer.items} csvName={`model-usage-${csvScope}.csv`} />)}
                  </QueryState>
                </Section>
              </Box>
              <Section title={USAGE_ANALYTICS.recentUsage}>
                <QueryState query={events} loading={USAGE_ANALYTICS.loading}>
                  {(answer) =>
                    answer.items.length === 0 ? (
                      <Empty>{USAGE_ANALYTICS.noUsage}</Empty>
                    ) : (
                      <Stack spacing={2}>
                        <Box>
                          <RecentUsageTable rows={answer.items} exportRows={() => allUsageEvents(query)} csvName={`usage-${csvScope}.csv`} />
                        </Box>
                        <Pager label={`${USAGE_ANALYTICS.recentUsage} pages`} page={answer.page} pageCount={answer.pageCount} texts={USAGE_ANALYTICS} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
                      </Stack>
                    )
                  }
                </QueryState>
              </Section>
              <Section title={BUDGET_ALERTS.title}>
                <BudgetAlertsTable filters={query} page={pageFrom(url.alerts)} onPage={(next) => setUrl({ alerts: next === 1 ? '' : String(next) })} orgId={orgId} wsId={wsId} />
              </Section>
            </Stack>
          )}
        </QueryState>
      )}
    </Stack>
  );
}
