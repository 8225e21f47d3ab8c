/** Every screen's URL, made in one place so links and routes agree. */
export const paths = {
  signIn: '/sign-in',
  /** Where the OIDC provider sends the browser back with its code (register it as the client's redirect URI). */
  signInSso: '/sign-in/sso',
  acceptInvite: '/accept-invite',
  /** The link an invitee opens: the token in the fragment, which the browser never sends. */
  inviteLink: (origin: string, token: string) => `${origin}/accept-invite#token=${encodeURIComponent(token)}`,
  profile: '/profile',
  announcements: '/announcements',
  overview: (orgId: string) => `/organizations/${orgId}/overview`,
  activityLogs: (orgId: string) => `/organizations/${orgId}/activity-logs`,
  billing: (orgId: string) => `/organizations/${orgId}/billing`,
  workspace: (orgId: string, wsId: string, screen: string) => `/organizations/${orgId}/workspaces/${wsId}/${screen}`,
};
