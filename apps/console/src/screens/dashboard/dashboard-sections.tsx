/**
 * The Dashboard's cards that come with roles and announcements: the notice of a section the caller's role
 * does not show ("ask your administrator"), and the caller's unread announcements.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { Link as RouterLink } from 'react-router';
import type { OverviewExtras } from '../../api/announcements.api';
import { Empty } from '../../components/query-state';
import { paths } from '../../routing/paths';
import { ANNOUNCEMENTS, DASHBOARD } from '../../texts';

export function WithheldNotice() {
  return (
    <Alert severity="info" data-testid="section-withheld">
      {DASHBOARD.withheld}
    </Alert>
  );
}

/** A whole card the caller's role does not show (Current Billing and Current Plan for members and viewers). */
export function WithheldCard({ id, title }: { id: string; title: string }) {
  return (
    <Card component="section" aria-labelledby={id}>
      <CardContent>
        <Typography id={id} variant="h6" component="h2" gutterBottom>
          {title}
        </Typography>
        <WithheldNotice />
      </CardContent>
    </Card>
  );
}

/** The caller's unread announcements (the newest five), linking to the Announcements screen. */
export function AnnouncementsCard({ announcements }: { announcements: OverviewExtras['announcements'] | undefined }) {
  const items = announcements?.items ?? [];
  return (
    <Card component="section" aria-labelledby="dashboard-announcements" sx={{ gridColumn: '1 / -1' }}>
      <CardContent>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <Typography id="dashboard-announcements" variant="h6" component="h2">
            {DASHBOARD.announcements}
          </Typography>
          {announcements !== undefined && announcements.unreadCount > 0 && (
            <Chip size="small" color="primary" label={`${announcements.unreadCount} ${ANNOUNCEMENTS.unread}`} data-testid="announcements-unread" />
          )}
        </Stack>
        {items.length === 0 ? (
          <Empty>{DASHBOARD.noAnnouncements}</Empty>
        ) : (
          <List dense>
            {items.map((item) => (
              <ListItem key={item.id} divider>
                <ListItemText primary={item.title} secondary={`${ANNOUNCEMENTS.kinds[item.kind] ?? item.kind} · ${item.body}`} />
              </ListItem>
            ))}
          </List>
        )}
        <Button component={RouterLink} to={paths.announcements}>
          {DASHBOARD.allAnnouncements}
        </Button>
      </CardContent>
    </Card>
  );
}
