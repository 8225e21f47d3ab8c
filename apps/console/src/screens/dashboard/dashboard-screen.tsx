/**
 * The organization Dashboard (organization-dashboard guide): the organization card, workspaces by status and
 * the recent activities, from GET /v1/organizations/{orgId}/overview; the Current Billing and Current Plan cards
 * when the API includes `billing` (only for callers with billing access: the guide's "Access and Visibility").
 * A section the caller's role does not show is named in `withheld`: its card says to ask an administrator.
 * The Announcements card lists the caller's unread announcements. The organization's live stream keeps it current
 * (useOrganizationStream: each change refetches the overview); the chip beside the title says whether it is live.
 */
import CircleIcon from '@mui/icons-material/Circle';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { DoughnutChart } from '../../components/charts';
import { DateTime } from '../../components/dates';
import { Empty, QueryState } from '../../components/query-state';
import { paths } from '../../routing/paths';
import type { ScreenPrefetch } from '../../routing/screens';
import { CurrentBillingCard, CurrentPlanCard } from '../billing/billing-cards';
import type { OverviewExtras } from '../../api/announcements.api';
import { AnnouncementsCard, WithheldCard, WithheldNotice } from './dashboard-sections';
import { LiveIndicator } from './live-indicator';
import { useOrganizationStream } from '../../api/organization-stream';
import { ACTIVITY_ACTION_LABELS, DASHBOARD } from '../../texts';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography component="div">{children}</Typography>
    </Box>
  );
}

/** A status count: the colour is in the dot, the text keeps the theme's contrast. */
function StatusChip({ color, label }: { color: string; label: string }) {
  return <Chip variant="outlined" label={label} icon={<CircleIcon aria-hidden sx={{ '&&': { color }, fontSize: 12 }} />} />;
}

function resourceLabel(type: string): string {
  return type
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

const overviewQuery = (orgId: string) => ({
  queryKey: ['organizations', orgId, 'overview'] as const,
  queryFn: () => unwrap(api.GET('/v1/organizations/{orgId}/overview', { params: { path: { orgId } } })),
});

/** The overview asked before React renders (main.tsx, the first page). */
export const prefetch: ScreenPrefetch = (client, { orgId }) => void client.prefetchQuery(overviewQuery(orgId));

export default function DashboardScreen() {
  const { orgId = '' } = useParams();
  const [copied, setCopied] = useState(false);
  const overview = useQuery(overviewQuery(orgId));
  const live = useOrganizationStream(orgId);
  return (
    <Stack spacing={3}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="h4" component="h1">
          {DASHBOARD.title}
        </Typography>
        <LiveIndicator status={live} />
      </Stack>
      <QueryState query={overview} loading={DASHBOARD.loading}>
        {({ organization, workspaces, recentActivity, billing, ...sections }) => (
          <Box sx={{ display: 'grid', gap: 3, gridTemplateColumns: { xs: '1fr', lg: 'repeat(2, minmax(0, 1fr))' } }}>
            <Card component="section" aria-labelledby="dashboard-organization">
              <CardContent>
                <Typography id="dashboard-organization" variant="h6" component="h2" gutterBottom>
                  {organization.name}
                </Typography>
                <Stack spacing={1.5}>
                  <Field label={DASHBOARD.organizationId}>
                    <Box component="code" sx={{ mr: 1 }}>
                      {organization.id}
                    </Box>
                    <Tooltip title={DASHBOARD.copyId}>
                      <IconButton
                        size="small"
                        aria-label={DASHBOARD.copyId}
                        onClick={() => void navigator.clipboard?.writeText(organization.id).then(() => setCopied(true))}
                      >
                        <ContentCopyIcon fontSize="small" />
                      </IconButton>
                    </Tooltip>
                  </Field>
                  <Field label={DASHBOARD.owner}>{organization.owner.name ?? organization.owner.email}</Field>
                  <Field label={DASHBOARD.created}>
                    <DateTime value={organization.createdAt} />
                  </Field>
                  <Field label={DASHBOARD.teamSize}>{organization.teamSize ?? '—'}</Field>
                </Stack>
              </CardContent>
            </Card>
            <Card component="section" aria-labelledby="dashboard-workspaces">
              <CardContent>
                <Typography id="dashboard-workspaces" variant="h6" component="h2" gutterBottom>
                  {DASHBOARD.workspaces}
                </Typography>
                {workspaces === undefined ? <WithheldNotice /> : (
                <Stack direction="row" spacing={3} sx={{ alignItems: 'center' }}>
                  <div>
                    <Typography variant="h3" component="p" data-testid="workspace-total">
                      {workspaces.total}
                    </Typography>
                    <Stack direction="row" spacing={1} useFlexGap sx={{ mt: 2, flexWrap: 'wrap' }}>
                      <StatusChip color="success.main" label={`${DASHBOARD.active} ${workspaces.active}`} />
                      <StatusChip color="warning.main" label={`${DASHBOARD.suspended} ${workspaces.suspended}`} />
                      <StatusChip color="text.disabled" label={`${DASHBOARD.others} ${workspaces.others}`} />
                    </Stack>
                  </div>
                  {workspaces.total > 0 && (
                    <DoughnutChart
                      label={DASHBOARD.workspacesByStatus}
                      slices={[
                        { label: DASHBOARD.active, value: workspaces.active, color: 'success.main' },
                        { label: DASHBOARD.suspended, value: workspaces.suspended, color: 'warning.main' },
                        { label: DASHBOARD.others, value: workspaces.others, color: 'text.disabled' },
                      ]}
                      size={120}
                    />
                  )}
                </Stack>
                )}
              </CardContent>
            </Card>
            {billing && <CurrentBillingCard orgId={orgId} billing={billing} />}
            {billing && <CurrentPlanCard orgId={orgId} billing={billing} />}
            {(sections as unknown as OverviewExtras).withheld?.includes('billing') && <WithheldCard id="dashboard-billing" title={DASHBOARD.billing} />}
            <Card component="section" aria-labelledby="dashboard-activity" sx={{ gridColumn: '1 / -1' }}>
              <CardContent>
                <Typography id="dashboard-activity" variant="h6" component="h2">
                  {DASHBOARD.recentActivities}
                </Typography>
                {recentActivity === undefined ? (
                  <WithheldNotice />
                ) : recentActivity.length === 0 ? (
                  <Empty>{DASHBOARD.noActivity}</Empty>
                ) : (
                  <List dense>
                    {recentActivity.map((entry) => (
                      <ListItem key={entry.id} divider>
                        <ListItemText
                          primary={`${resourceLabel(entry.resourceType)} · ${ACTIVITY_ACTION_LABELS[entry.action] ?? entry.action}`}
                          secondary={<DateTime value={entry.occurredAt} />}
                        />
                      </ListItem>
                    ))}
                  </List>
                )}
                {recentActivity !== undefined && (
                  <Button component={RouterLink} to={paths.activityLogs(orgId)}>
                    {DASHBOARD.showMore}
                  </Button>
                )}
              </CardContent>
            </Card>
            <AnnouncementsCard announcements={(sections as unknown as OverviewExtras).announcements} />
          </Box>
        )}
      </QueryState>
      <Snackbar open={copied} autoHideDuration={3000} onClose={() => setCopied(false)} message={DASHBOARD.copied} />
    </Stack>
  );
}
