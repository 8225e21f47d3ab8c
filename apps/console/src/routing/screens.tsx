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
import CampaignIcon from '@mui/icons-material/Campaign';
import NotificationsIcon from '@mui/icons-material/Notifications';
import SavingsIcon from '@mui/icons-material/Savings';
import MonitorHeartIcon from '@mui/icons-material/MonitorHeart';
import type { QueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, useState } from 'react';
import { NAV } from '../texts';

export interface ScreenEntry {
  /** Organization screens live under /organizations/:orgId/<segment>, workspace screens under …/workspaces/:wsId/<segment>. */
  readonly scope: 'organization' | 'workspace' | 'account';
  readonly segment: string;
  readonly label: string;
  readonly icon: typeof DashboardIcon;
  readonly component: ComponentType;
  /**
   * Fetches the screen's code ahead of its first render (main.tsx: the first page's screen, before React starts);
   * resolves with the screen's own prefetch when it has one (its first calls, started before React renders).
   */
  readonly preload: () => Promise<ScreenPrefetch | undefined>;
  /**
   * Who the menu shows it to, by their role in the current organization (organization-wide; null: seats only); absent:
   * everyone. The API still decides: a hidden screen opened by its URL shows its 403.
   */
  readonly forRoles?: ReadonlyArray<string>;
}

/** Where a screen is opened: the route's ids, the URL's query and the time zone dates are shown in. */
export interface ScreenPlace {
  readonly orgId: string;
  readonly wsId: string;
  readonly search: URLSearchParams;
  readonly timeZone: string;
}

export type ScreenPrefetch = (client: QueryClient, place: ScreenPlace) => void;

interface ScreenModule {
  readonly default: ComponentType;
  readonly prefetch?: ScreenPrefetch;
}

/**
 * A screen's code, loaded on first visit. Once `preload` (or an earlier visit) has it, the screen renders at once
 * instead of through React.lazy: a lazy screen shows the Suspense fallback first, and React holds back revealing
 * the content for up to 300 ms after a fallback appeared (its reveal throttle), which the first page then waits
 * for, with its API calls (they start when the screen mounts).
 */
function screenCode(load: () => Promise<ScreenModule>): Pick<ScreenEntry, 'component' | 'preload'> {
  let loaded: ComponentType | undefined;
  const fetchCode = () =>
    load().then((module) => {
      loaded = module.default;
      return module;
    });
  const Lazy = lazy(fetchCode);
  function Screen() {
    // chosen once per mount: switching from Lazy to the loaded component later would remount the screen
    const [Code] = useState<ComponentType>(() => loaded ?? Lazy);
    return <Code />;
  }
  return { component: Screen, preload: () => fetchCode().then((module) => module.prefetch) };
}

/** The route of a screen (react-router's pattern). */
export function screenPath(screen: Pick<ScreenEntry, 'scope' | 'segment'>): string {
  if (screen.scope === 'account') return `/${screen.segment}`;
  if (screen.scope === 'organization') return `/organizations/:orgId/${screen.segment}`;
  return `/organizations/:orgId/workspaces/:wsId/${screen.segment}`;
}

export const SCREENS: readonly ScreenEntry[] = [
  { scope: 'organization', segment: 'overview', label: NAV.dashboard, icon: DashboardIcon, ...screenCode(() => import('../screens/dashboard/dashboard-screen')) },
  { scope: 'organization', segment: 'activity-logs', label: NAV.activityLogs, icon: HistoryIcon, ...screenCode(() => import('../screens/activity-logs/activity-logs-screen')) },
  { scope: 'organization', segment: 'billing', label: NAV.billing, icon: CreditCardIcon, ...screenCode(() => import('../screens/billing/billing-screen')) },
  { scope: 'organization', segment: 'notification-channels', label: NAV.notifications, icon: NotificationsIcon, ...screenCode(() => import('../screens/notifications/notification-channels-screen')) },
  { scope: 'workspace', segment: 'team-settings', label: NAV.teamSettings, icon: GroupIcon, ...screenCode(() => import('../screens/team-settings/team-settings-screen')) },
  { scope: 'workspace', segment: 'job-history', label: NAV.jobHistory, icon: ReceiptLongIcon, ...screenCode(() => import('../screens/job-history/job-history-screen')) },
  { scope: 'workspace', segment: 'chargeback', label: NAV.usageAnalytics, icon: InsightsIcon, ...screenCode(() => import('../screens/usage-analytics/usage-analytics-screen')) },
  { scope: 'workspace', segment: 'budgets', label: NAV.budgets, icon: SavingsIcon, ...screenCode(() => import('../screens/budgets/budgets-screen')) },
  { scope: 'workspace', segment: 'runtime-environments', label: NAV.runtimeEnvironments, icon: MemoryIcon, ...screenCode(() => import('../screens/runtime-environments/runtime-environments-screen')) },
  { scope: 'workspace', segment: 'model-settings', label: NAV.modelSettings, icon: TuneIcon, ...screenCode(() => import('../screens/model-settings/model-settings-screen')) },
  { scope: 'account', segment: 'profile', label: NAV.profile, icon: PersonIcon, ...screenCode(() => import('../screens/profile/profile-screen')) },
  { scope: 'account', segment: 'announcements', label: NAV.announcements, icon: CampaignIcon, ...screenCode(() => import('../screens/announcements/announcements-screen')) },
  { scope: 'account', segment: 'ops', label: NAV.ops, icon: MonitorHeartIcon, forRoles: ['owner', 'admin'], ...screenCode(() => import('../screens/ops/ops-screen')) },
];

/** Whether the menu shows a screen to someone whose organization-wide role is `role`. */
export function screenShownTo(screen: Pick<ScreenEntry, 'forRoles'>, role: string | null | undefined): boolean {
  return screen.forRoles === undefined || (role !== null && role !== undefined && screen.forRoles.includes(role));
}
