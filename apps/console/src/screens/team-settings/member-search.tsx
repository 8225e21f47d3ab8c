/**
 * Team Members: search by name or email, filter by role, page through, change a member's role (sent with the
 * role the admin saw, so a concurrent change is refused rather than overwritten). Search, role and page are in the URL.
 */
import Alert from '@mui/material/Alert';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import MenuItem from '@mui/material/MenuItem';
import Pagination from '@mui/material/Pagination';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { api, idempotencyKey, unwrap } from '../../api/client';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { Empty, QueryState } from '../../components/query-state';
import { useUrlState, useUrlTextField } from '../../routing/url-state';
import { STATES, TEAM_SETTINGS } from '../../texts';
import { type Member, ROLES, type Role, teamKeys } from './team.queries';

const PAGE_SIZE = 20;

export function MemberSearch({ workspaceId }: { workspaceId: string }) {
  const queries = useQueryClient();
  const [url, setUrl] = useUrlState(['q', 'role', 'page'] as const);
  const [search, setSearch] = useUrlTextField(url.q, useCallback((q: string) => setUrl({ q }, { resetPage: true }), [setUrl]));
  const page = Math.max(1, Number(url.page) || 1);
  const role = ROLES.includes(url.role as Role) ? (url.role as Role) : undefined;
  const members = useQuery({
    queryKey: [...teamKeys.members(workspaceId), { q: url.q, role, page }],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/v1/workspaces/{wsId}/members', {
          params: { path: { wsId: workspaceId }, query: { page, pageSize: PAGE_SIZE, ...(url.q ? { search: url.q } : {}), ...(role ? { role } : {}) } },
        }),
      ),
  });
  const [changed, setChanged] = useState<string | undefined>();
  const changeRole = useMutation({
    mutationFn: ({ member, to }: { member: Member; to: Role }) =>
      unwrap(
        api.PATCH('/v1/workspaces/{wsId}/members/{userId}', {
          params: { path: { wsId: workspaceId, userId: member.userId }, header: { 'Idempotency-Key': idempotencyKey() } },
          body: { role: to, expectedRole: member.role },
        }),
      ),
    onSuccess: (member) => {
      setChanged(TEAM_SETTINGS.roleChanged(member.name ?? member.email ?? member.userId, member.role));
      void queries.invalidateQueries({ queryKey: teamKeys.members(workspaceId) });
    },
  });
  const columns: ReadonlyArray<Column<Member>> = [
    { id: 'name', label: TEAM_SETTINGS.columns.name, value: (member) => member.name },
    { id: 'email', label: TEAM_SETTINGS.columns.email, value: (member) => member.email },
    {
      id: 'role',
      label: TEAM_SETTINGS.columns.role,
      value: (member) => member.role,
      render: (member) => {
        const shown = member.name ?? member.email ?? member.userId;
        return (
          <TextField
            select
            size="small"
            value={member.role}
            disabled={changeRole.isPending}
            slotProps={{ htmlInput: { 'aria-label': TEAM_SETTINGS.changeRole(shown) } }}
            onChange={(event) => changeRole.mutate({ member, to: event.target.value as Role })}
          >
            {ROLES.map((candidate) => (
              <MenuItem key={candidate} value={candidate}>
                {candidate}
              </MenuItem>
            ))}
          </TextField>
        );
      },
    },
    { id: 'joined', label: TEAM_SETTINGS.columns.joined, value: (member) => member.joinedAt, render: (member) => <DateTime value={member.joinedAt} /> },
  ];
  // the export holds every member this search and filter find, not only the page on screen
  const exportAll = async (): Promise<Member[]> => {
    const all: Member[] = [];
    for (let next = 1; ; next++) {
      const answer = await unwrap(
        api.GET('/v1/workspaces/{wsId}/members', {
          params: { path: { wsId: workspaceId }, query: { page: next, pageSize: 100, ...(url.q ? { search: url.q } : {}), ...(role ? { role } : {}) } },
        }),
      );
      all.push(...answer.items);
      if (next >= answer.pageCount) return all;
    }
  };
  return (
    <Card component="section" aria-labelledby="team-members">
      <CardContent>
        <Typography id="team-members" variant="h6" component="h2" gutterBottom>
          {TEAM_SETTINGS.teamMembers}
        </Typography>
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ mb: 2 }}>
          <TextField label={TEAM_SETTINGS.search} type="search" value={search} onChange={(event) => setSearch(event.target.value)} sx={{ minWidth: 280 }} />
          <TextField select label={TEAM_SETTINGS.inviteRole} value={role ?? ''} onChange={(event) => setUrl({ role: event.target.value }, { resetPage: true })} sx={{ minWidth: 160 }}>
            <MenuItem value="">All</MenuItem>
            {ROLES.map((candidate) => (
              <MenuItem key={candidate} value={candidate}>
                {candidate}
              </MenuItem>
            ))}
          </TextField>
        </Stack>
        {changeRole.isError && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {changeRole.error.message}
          </Alert>
        )}
        <QueryState query={members} loading={TEAM_SETTINGS.loading}>
          {(answer) =>
            answer.items.length === 0 ? (
              <Empty>{TEAM_SETTINGS.noMembers}</Empty>
            ) : (
              <>
                <DataTable
                  label={TEAM_SETTINGS.teamMembers}
                  rows={answer.items}
                  rowKey={(member) => member.userId}
                  rowTestId={(member) => `member-${member.email ?? member.userId}`}
                  columns={columns}
                  exportRows={exportAll}
                  csvName={`members-${workspaceId}.csv`}
                  exportLabel={TEAM_SETTINGS.exportCsv}
                />
                {answer.pageCount > 1 && (
                  <Pagination sx={{ mt: 2 }} count={answer.pageCount} page={page} onChange={(_event, next) => setUrl({ page: String(next) })} />
                )}
                {members.isFetching && <Typography variant="caption">{STATES.loading}</Typography>}
              </>
            )
          }
        </QueryState>
      </CardContent>
      <Snackbar open={changed !== undefined} autoHideDuration={4000} onClose={() => setChanged(undefined)} message={changed ?? ''} />
    </Card>
  );
}
