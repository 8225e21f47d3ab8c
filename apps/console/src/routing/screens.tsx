/**
 * The console's screens: where each lives, its menu entry and its code, loaded on first visit (one chunk per
 * screen, so the first page downloads only the shell and itself). A new screen is one entry here and a folder
 * under screens/.
 */
import DashboardIcon from '@mui/icons-material/Dashboard';
import GroupIcon from '@mui/icons-material/Group';
import HistoryIcon from '@mui/icons-material/History';
import InsightsIcon from '@mui/icons-material/Insights';
import MemoryIcon from '@mui/icons-material/Memory';
import ReceiptLongIcon from '@mui/icons-material/ReceiptLong';
import TuneIcon from '@mui/icons-material/Tune';
import PersonIcon from '@mui/icons-material/Person';
import CreditCardIcon from '@mui/icons-material/CreditCard';
import { type ComponentType, type LazyExoticComponent, lazy } from 'react';
import { NAV } from '../texts';

export interface ScreenEntry {
  /** Organization screens live under /organizations/:orgId/<segment>, workspace screens under …/workspaces/:wsId/<segment>. */
  readonly scope: 'organization' | 'workspace' | 'account';
  readonly segment: string;
  readonly label: string;
  readonly icon: typeof DashboardIcon;
  readonly component: LazyExoticComponent<ComponentType>;
}

export const SCREENS: readonly ScreenEntry[] = [
  { scope: 'organization', segment: 'overview', label: NAV.dashboard, icon: DashboardIcon, component: lazy(() => import('../screens/dashboard/dashboard-screen')) },
  { scope: 'organization', segment: 'activity-logs', label: NAV.activityLogs, icon: HistoryIcon, component: lazy(() => import('../screens/activity-logs/activity-logs-screen')) },
  { scope: 'organization', segment: 'billing', label: NAV.billing, icon: CreditCardIcon, component: lazy(() => import('../screens/billing/billing-screen')) },
  { scope: 'workspace', segment: 'team-settings', label: NAV.teamSettings, icon: GroupIcon, component: lazy(() => import('../screens/team-settings/team-settings-screen')) },
  { scope: 'workspace', segment: 'job-history', label: NAV.jobHistory, icon: ReceiptLongIcon, component: lazy(() => import('../screens/job-history/job-history-screen')) },
  { scope: 'workspace', segment: 'chargeback', label: NAV.usageAnalytics, icon: InsightsIcon, component: lazy(() => import('../screens/usage-analytics/usage-analytics-screen')) },
  { scope: 'workspace', segment: 'runtime-environments', label: NAV.runtimeEnvironments, icon: MemoryIcon, component: lazy(() => import('../screens/runtime-environments/runtime-environments-screen')) },
  { scope: 'workspace', segment: 'model-settings', label: NAV.modelSettings, icon: TuneIcon, component: lazy(() => import('../screens/model-settings/model-settings-screen')) },
  { scope: 'account', segment: 'profile', label: NAV.profile, icon: PersonIcon, component: lazy(() => import('../screens/profile/profile-screen')) },
];
