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
  sso: 'Sign in with SSO',
  orToken: 'or with a user token',
  ssoProgress: 'Signing you in…',
  ssoBack: 'Back to sign-in',
  ssoUnavailable: 'Single sign-on is unavailable right now. Sign in with a user token, or try again later.',
  ssoUnknownMember: (email: string) => `You signed in as ${email}, but no Steward member has that email. Ask an admin to invite it.`,
  ssoState: 'The answer from your identity provider does not match the sign-in this tab started (state). Nothing was kept: start again.',
  ssoNonce: 'The identity provider returned a token that does not belong to this sign-in (nonce, issuer or audience). Nothing was kept: start again.',
  ssoNotStarted: 'This sign-in was not started in this tab, or was already used. Start again.',
  ssoRefused: (reason: string) => `Your identity provider refused the sign-in: ${reason}`,
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
  jobHistory: 'Job History',
  usageAnalytics: 'Usage Analytics',
  runtimeEnvironments: 'Runtime Environments',
  modelSettings: 'Model Settings',
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

/** Job History (admin guide, part 1). */
export const JOB_HISTORY = {
  title: 'Job History',
  loading: 'Loading job history…',
  empty: 'No jobs yet: agent interactions in this workspace appear here.',
  status: 'Status',
  agent: 'Agent Name',
  all: 'All',
  viewDetails: 'View Details',
  exportCsv: 'Export CSV',
  previous: 'Previous',
  next: 'Next',
  page: (page: number, pageCount: number) => `Page ${page} of ${pageCount}`,
  columns: { jobId: 'Job ID', agent: 'Agent Name', startTime: 'Start Time', endTime: 'End Time', status: 'Status', actions: 'Actions' },
  details: {
    title: (jobId: string) => `Job ${jobId}`,
    startTime: 'Start Time',
    endTime: 'End Time',
    finalSummary: 'Final Summary',
    noSummary: 'No summary recorded.',
    interactionHistory: 'Interaction History',
    /** The guide's words when a job recorded no step (the API answers the same text). */
    noSteps: 'No detailed steps recorded for this job.',
    parameters: 'Parameters',
    result: 'Result',
    duration: (ms: number) => `${ms} ms`,
    close: 'Close',
    loading: 'Loading the job…',
  },
} as const;

/** The step types of the interaction history, as the guide names them. */
export const JOB_STEP_LABELS: Readonly<Record<string, string>> = {
  user_message: 'User Message',
  assistant_response: 'Assistant Response',
  tool_call: 'Tool Call',
  tool_result: 'Tool Result',
  system: 'System Information',
};

/** Usage Analytics (admin guide, part 2: the chargeback page). */
export const USAGE_ANALYTICS = {
  title: 'Usage Analytics',
  loading: 'Loading usage analytics...',
  workspace: 'Workspace',
  allWorkspaces: 'All Workspaces',
  timePeriod: 'Time Period',
  periods: { '7d': 'Last 7 Days', '30d': 'Last 30 Days', '90d': 'Last 90 Days', custom: 'Custom Range' },
  startDate: 'Start Date',
  endDate: 'End Date',
  agent: 'Agent',
  allAgents: 'All Agents',
  totalCost: 'Total Cost',
  apiCalls: (calls: string) => `${calls} API calls`,
  tokensUsed: 'Tokens Used',
  tokenBreakdown: (input: string, output: string) => `${input} input + ${output} output`,
  avgResponseTime: 'Avg Response Time',
  successRate: (rate: string) => `${rate}% success rate`,
  costPerToken: 'Cost per Token',
  averageEfficiency: 'Average efficiency',
  /** The guide's words for a call or model recorded without a price. */
  pricingNotConfigured: 'pricing not configured',
  unpricedCalls: (calls: number) => `${calls} call${calls === 1 ? '' : 's'} recorded without a price: pricing not configured.`,
  setPrices: 'Set prices in Model Settings',
  usageTimeline: 'Usage Timeline',
  interval: 'Interval',
  intervals: { hour: 'Hourly', day: 'Daily', week: 'Weekly', month: 'Monthly' },
  cost: 'Cost (USD)',
  tokens: 'Tokens',
  usageByModel: 'Usage by Model',
  modelStatistics: 'Model Usage Statistics',
  recentUsage: 'Recent Usage Details',
  noUsage: 'No usage recorded in this period.',
  previous: 'Previous',
  next: 'Next',
  page: (page: number, pageCount: number) => `Page ${page} of ${pageCount}`,
  exportCsv: 'Export CSV',
  customRangeHelp: 'Pick a start and an end date.',
  modelColumns: { provider: 'Provider', model: 'Model', calls: 'Calls', tokens: 'Tokens', cost: 'Cost', avgResponseTime: 'Avg Response Time' },
  eventColumns: { timestamp: 'Timestamp', agent: 'Agent', model: 'Model', tokens: 'Tokens', cost: 'Cost', time: 'Time', status: 'Status' },
  statuses: { success: 'Success', error: 'Error' },
} as const;

/** Runtime Environments (admin guide, part 3). */
export const RUNTIMES = {
  title: 'Runtime Environments',
  loading: 'Loading runtime environments…',
  allRuntimes: 'All Runtimes',
  addRuntime: 'Add Runtime',
  addMenu: {
    data_ingestion: 'Data Ingestion Runtime',
    spark_processing: 'Spark / Data Processing',
    python_execution: 'Python Execution',
  } as Readonly<Record<string, string>>,
  setupGuide: 'Setup Guide',
  closeGuide: 'Close',
  /** The guide's empty state of the ingestion tab. */
  noIngestion: 'No Ingestion Runtimes Configured',
  noRuntimes: 'No runtimes configured.',
  test: 'Test',
  setDefault: 'Set Default',
  default: 'Default',
  edit: 'Edit',
  delete: (name: string) => `Delete ${name}`,
  /** The guide's confirmation, word for word. */
  confirmDelete: (name: string) => `Are you sure you want to delete ${name}? This action cannot be undone.`,
  confirm: 'Delete',
  cancel: 'Cancel',
  deleted: (name: string) => `${name} deleted`,
  madeDefault: (name: string) => `${name} is now the default runtime`,
  testing: (name: string) => `Testing ${name}…`,
  testSucceeded: (name: string, latencyMs: number | null) => `Connection to ${name} succeeded${latencyMs !== null ? ` (${latencyMs} ms)` : ''}`,
  testFailed: (name: string, message: string) => `Connection test of ${name} failed: ${message}`,
  lastTest: 'Last test',
  neverTested: 'Not tested yet',
  provider: 'Provider',
  runtimeName: 'Runtime Name',
  setAsDefault: 'Set as default runtime for this workspace',
  createRuntime: 'Create Runtime',
  saveRuntime: 'Save Changes',
  keepSecret: (hint: string) => `Stored (${hint}); leave empty to keep it`,
  created: (name: string) => `${name} created`,
  saved: (name: string) => `${name} saved`,
  newTitle: (category: string) => `New ${category} runtime`,
  previous: 'Previous',
  next: 'Next',
  page: (page: number, pageCount: number) => `Page ${page} of ${pageCount}`,
  editTitle: (name: string) => `Edit ${name}`,
} as const;

/** Model Settings (admin guide, part 5; admins only). */
export const MODEL_SETTINGS = {
  title: 'Model Settings',
  loading: 'Loading model settings…',
  empty: 'No model has prices or an API key yet.',
  search: 'Search models',
  exportCsv: 'Export CSV',
  addModel: 'Add Model',
  provider: 'Provider',
  model: 'Model',
  inputPrice: 'Input (USD per 1M tokens)',
  outputPrice: 'Output (USD per 1M tokens)',
  cacheReadPrice: 'Cache read (USD per 1M tokens, optional)',
  effectiveFrom: 'Effective from',
  apiKeyColumn: 'API Key',
  /** The guide's words: a model's key is only ever one of these two. */
  configured: 'Configured',
  notConfigured: 'API Key: Not Configured',
  apiKey: 'API key',
  apiKeyHelp: 'Stored encrypted and never shown again; leave empty to keep the current key.',
  clearApiKey: 'Clear API key',
  edit: (model: string) => `Edit ${model}`,
  setPrice: 'Set price',
  save: 'Save',
  cancel: 'Cancel',
  saved: (model: string) => `${model} saved`,
  keyCleared: (model: string) => `API key of ${model} cleared`,
  noPrice: 'No price set',
  unpricedTitle: 'Models used without a price',
  unpricedCalls: (calls: number) => `${calls} call${calls === 1 ? '' : 's'}`,
  previous: 'Previous',
  next: 'Next',
  page: (page: number, pageCount: number) => `Page ${page} of ${pageCount}`,
  columns: { provider: 'Provider', model: 'Model', input: 'Input / 1M', output: 'Output / 1M', effectiveFrom: 'Effective from', apiKey: 'API Key', actions: 'Actions' },
} as const;
