/**
 * The frame of every signed-in page: the app bar with the organization and workspace switcher, the menu of
 * screens, and the page itself.
 */
import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Drawer from '@mui/material/Drawer';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { NavLink, Outlet } from 'react-router';
import { paths } from '../routing/paths';
import { SCREENS, type ScreenEntry, screenShownTo } from '../routing/screens';
import { session } from '../session/session';
import { NAV, SIGN_IN } from '../texts';
import { Switcher } from './switcher';
import { type ConsolePlace, useConsolePlace } from './workspace-context';

const DRAWER_WIDTH = 220;

function linkOf(screen: ScreenEntry, place: ConsolePlace): string | undefined {
  if (screen.scope === 'account') return `/${screen.segment}`;
  if (place.organizationId === undefined) return undefined;
  if (screen.scope === 'organization') return `/organizations/${place.organizationId}/${screen.segment}`;
  return place.workspaceId === undefined ? undefined : paths.workspace(place.organizationId, place.workspaceId, screen.segment);
}

export function AppShell() {
  const place = useConsolePlace();
  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <Box
        component="a"
        href="#main"
        sx={{ position: 'absolute', left: -9999, zIndex: (theme) => theme.zIndex.tooltip, '&:focus': { left: 8, top: 8, p: 1, bgcolor: 'background.paper', color: 'text.primary' } }}
      >
        {NAV.skipToContent}
      </Box>
      <AppBar position="fixed" color="default" elevation={1} sx={{ zIndex: (theme) => theme.zIndex.drawer + 1 }}>
        <Toolbar sx={{ gap: 2 }}>
          <Typography component="span" variant="h6" sx={{ flexGrow: 1, fontWeight: 600 }}>
            Steward
          </Typography>
          <Switcher place={place} />
          <Button color="inherit" onClick={() => session.signOut()}>
            {SIGN_IN.signOut}
          </Button>
        </Toolbar>
      </AppBar>
      <Drawer variant="permanent" sx={{ width: DRAWER_WIDTH, flexShrink: 0, '& .MuiDrawer-paper': { width: DRAWER_WIDTH, boxSizing: 'border-box' } }}>
        <Toolbar />
        <Box component="nav" aria-label="Console">
          <List>
            {SCREENS.filter((screen) => screenShownTo(screen, place.organization?.role)).map((screen) => {
              const to = linkOf(screen, place);
              const Icon = screen.icon;
              return (
                <ListItem key={screen.segment} disablePadding>
                  <ListItemButton component={NavLink} to={to ?? '#'} disabled={to === undefined} sx={{ '&.active': { bgcolor: 'action.selected' } }}>
                    <ListItemIcon>
                      <Icon aria-hidden />
                    </ListItemIcon>
                    <ListItemText primary={screen.label} />
                  </ListItemButton>
                </ListItem>
              );
            })}
          </List>
        </Box>
      </Drawer>
      <Box component="main" id="main" tabIndex={-1} sx={{ flexGrow: 1, p: 3, minWidth: 0, outline: 'none' }}>
        <Toolbar />
        <Outlet />
      </Box>
    </Box>
  );
}
