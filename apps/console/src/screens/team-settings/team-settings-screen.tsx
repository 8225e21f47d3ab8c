/**
 * Team Settings (admin guide, part 4; admins only): Onboarding (invite a user by email with a role and an
 * optional message; the pending invitations), Team Members (search, filter by role, change a role), and for
 * those with billing access Billing & Credits and Billing Configuration of the organization. Anyone
 * else gets the guide's "Access Restricted" message: the API's 403 decides, the console does not guess.
 */
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ApiProblem } from '../../api/client';
import { AccessRestricted } from '../../components/access-restricted';
import { TEAM_SETTINGS } from '../../texts';
import { InviteUserForm } from './invite-user-form';
import { BillingSections } from './billing-sections';
import { MemberSearch } from './member-search';
import { teamKeys } from './team.queries';

export default function TeamSettingsScreen() {
  const { orgId = '', wsId = '' } = useParams();
  // one cheap read decides whether this person may administer the team at all
  const access = useQuery({
    queryKey: teamKeys.invitations(wsId),
    queryFn: () => unwrap(api.GET('/v1/workspaces/{wsId}/invitations', { params: { path: { wsId }, query: { status: 'pending', pageSize: 100 } } })),
  });
  const restricted = access.error instanceof ApiProblem && access.error.status === 403;
  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        {TEAM_SETTINGS.title}
      </Typography>
      {restricted ? (
        <AccessRestricted />
      ) : (
        <>
          <InviteUserForm workspaceId={wsId} invitations={access} />
          <MemberSearch workspaceId={wsId} />
          <BillingSections orgId={orgId} />
        </>
      )}
    </Stack>
  );
}
