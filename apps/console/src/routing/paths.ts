/** Every screen's URL, made in one place so links and routes agree. */
export const paths = {
  signIn: '/sign-in',
  profile: '/profile',
  overview: (orgId: string) => `/organizations/${orgId}/overview`,
  activityLogs: (orgId: string) => `/organizations/${orgId}/activity-logs`,
  workspace: (orgId: string, wsId: string, screen: string) => `/organizations/${orgId}/workspaces/${wsId}/${screen}`,
};
