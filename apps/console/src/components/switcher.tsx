/**
 * The organization and workspace selectors of the app bar (the admin guide: "always confirm the active workspace
 * in the selector"). Changing the organization opens its dashboard; changing the workspace keeps the workspace
 * screen you are on, now for the other workspace.
 */
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useNavigate } from 'react-router';
import { paths } from '../routing/paths';
import { SWITCHER } from '../texts';
import { type ConsolePlace, chooseWorkspace, rememberOrganization } from './workspace-context';

const selectSx = { minWidth: 180, '& .MuiInputBase-root': { bgcolor: 'background.paper' } } as const;

export function Switcher({ place }: { place: ConsolePlace }) {
  const navigate = useNavigate();
  if (place.organizations.length === 0) return null;
  return (
    <Stack direction="row" spacing={1} aria-label="Organization and workspace">
      <TextField
        select
        size="small"
        label={SWITCHER.organization}
        value={place.organizationId ?? ''}
        sx={selectSx}
        slotProps={{ select: { inputProps: { 'data-testid': 'organization-select' } } }}
        onChange={(event) => {
          rememberOrganization(event.target.value);
          navigate(paths.overview(event.target.value));
        }}
      >
        {place.organizations.map((organization) => (
          <MenuItem key={organization.id} value={organization.id}>
            {organization.name}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        size="small"
        label={SWITCHER.workspace}
        value={place.workspaces.some((workspace) => workspace.id === place.workspaceId) ? place.workspaceId : ''}
        sx={selectSx}
        slotProps={{ select: { inputProps: { 'data-testid': 'workspace-select' } } }}
        onChange={(event) => {
          const workspaceId = event.target.value;
          if (place.organizationId === undefined) return;
          chooseWorkspace(place.organizationId, workspaceId);
          if (place.workspaceScreen !== undefined) navigate(paths.workspace(place.organizationId, workspaceId, place.workspaceScreen));
        }}
      >
        {place.workspaces.map((workspace) => (
          <MenuItem key={workspace.id} value={workspace.id}>
            {workspace.name}
          </MenuItem>
        ))}
      </TextField>
    </Stack>
  );
}
