/**
 * Texts the guides quote (docs in /shared/seeds) and the console's own fixed texts: the screens render these
 * constants and the browser tests look for the same ones (`@steward/console`), so a changed message changes both.
 * Pure data: nothing here may import the DOM or React.
 */

export const ACCESS_RESTRICTED_TITLE = 'Access Restricted';
export const ACCESS_RESTRICTED_DETAIL = 'You do not have admin privileges to manage team settings, users, or billing configuration.';
/** As the admin guide writes it: "Access Restricted — You do not have admin privileges …". */
export const ACCESS_RESTRICTED = `${ACCESS_RESTRICTED_TITLE} — ${ACCESS_RESTRICTED_DETAIL}`;

export const SIGN_IN = {
  title: 'Sign in to Steward',
  tokenLabel: 'User token',
  help: 'Paste the owner token the bootstrap printed, or one from `npm run user-token -- --email <email>`.',
  submit: 'Sign in',
  invalid: 'This token was not accepted. Check it and try again.',
  expired: 'Your session ended. Sign in again.',
  signOut: 'Sign out',
} as const;

export const ACCEPT_INVITE = {
  title: 'Accept Invite',
  asNewPerson: 'Join the workspace under the email the invitation went to.',
  asYourself: 'You are signed in: you join the workspace as yourself.',
  token: 'Invitation token',
  name: 'Your name',
  submit: 'Accept Invite',
} as const;

export const SWITCHER = {
  organization: 'Organization',
  workspace: 'Workspace',
  noOrganization: 'You do not belong to an organization yet.',
} as const;

export const NAV = {
  dashboard: 'Dashboard',
  activityLogs: 'Activity Logs',
  teamSettings: 'Team Settings',
  profile: 'Profile',
  skipToContent: 'Skip to content',
} as const;

export const STATES = {
  loading: 'Loading…',
  error: 'Something went wrong while loading this page.',
  retry: 'Retry',
  notFound: 'This page does not exist.',
} as const;

export const DASHBOARD = {
  title: 'Dashboard',
  organization: 'Organization',
  organizationId: 'Organization ID',
  copyId: 'Copy organization ID',
  copied: 'Organization ID copied',
  owner: 'Owner',
  created: 'Created',
  teamSize: 'Team Size',
  workspaces: 'Workspaces',
  workspacesByStatus: 'Workspaces by status',
  active: 'Active',
  suspended: 'Suspended',
  others: 'Others',
  recentActivities: 'Recent Activities',
  noActivity: 'No recent activity.',
  showMore: 'Show more',
  loading: 'Loading the dashboard…',
} as const;

export const TEAM_SETTINGS = {
  title: 'Team Settings',
  onboarding: 'Onboarding',
  inviteEmail: 'Email',
  inviteRole: 'Role',
  inviteMessage: 'Message (optional)',
  invite: 'Invite User',
  invited: (email: string) => `Invitation sent to ${email}`,
  inviteLink: 'Send this link to the invitee (shown once):',
  copyLink: 'Copy invitation link',
  hideLink: 'Hide the invitation link',
  pendingInvitations: 'Pending invitations',
  revoke: 'Revoke',
  revokeLabel: (email: string) => `Revoke the invitation of ${email}`,
  noInvitations: 'No pending invitations.',
  teamMembers: 'Team Members',
  search: 'Search members',
  noMembers: 'No member matches this search.',
  changeRole: (name: string) => `Role of ${name}`,
  roleChanged: (name: string, role: string) => `${name} is now ${role}`,
  loading: 'Loading team members…',
  exportCsv: 'Export CSV',
  columns: { name: 'Name', email: 'Email', role: 'Role', joined: 'Joined' },
} as const;

export const PROFILE = {
  title: 'Profile',
  name: 'Name',
  organizationName: 'Organization name',
  timeZone: 'Time zone',
  customInstructions: 'Custom instructions',
  customInstructionsHelp: 'Help the AI models in the chat give you more tailored answers.',
  save: 'Save',
  saved: 'Profile saved',
  loading: 'Loading your profile…',
} as const;

export const ACTIVITY_LOGS = {
  title: 'Activity Logs',
  search: 'Search',
  resourceType: 'Resource Type',
  action: 'Action',
  actorType: 'Actor type',
  actor: 'Actor ID',
  outcome: 'Outcome',
  workspace: 'Workspace',
  all: 'All',
  from: 'From',
  to: 'To',
  exportCsv: 'Export CSV',
  empty: 'No activity matches these filters.',
  nextPage: 'Next page',
  firstPage: 'First page',
  loading: 'Loading activity…',
  columns: { timestamp: 'Timestamp', resourceType: 'Resource Type', action: 'Action', actor: 'Actor', outcome: 'Outcome', summary: 'Summary' },
} as const;

/** The actions of the activity log as the dashboard guide names them. */
export const ACTIVITY_ACTION_LABELS: Readonly<Record<string, string>> = {
  create: 'Create',
  update: 'Update',
  delete: 'Delete',
  fetch: 'Fetch',
  fetch_all: 'Fetch All',
};
