/** The signed-in person: profile, organizations and workspaces (shared by the shell and every screen). */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client';
import type { paths } from './schema.generated';

export type Role = MyOrganization['workspaces'][number]['role'];
export type Profile = paths['/v1/me']['get']['responses'][200]['content']['application/json'];
export type MyOrganization = paths['/v1/me/organizations']['get']['responses'][200]['content']['application/json']['items'][number];
export type Workspace = paths['/v1/organizations/{orgId}/workspaces']['get']['responses'][200]['content']['application/json']['items'][number];

export const accountKeys = {
  profile: ['me'] as const,
  organizations: ['me', 'organizations'] as const,
  workspaces: (orgId: string) => ['organizations', orgId, 'workspaces'] as const,
};

/** The queries' definitions, shared by the hooks and by main.tsx, which asks them ahead of the first render. */
export const accountQueries = {
  profile: () => ({ queryKey: accountKeys.profile, queryFn: () => unwrap(api.GET('/v1/me')) }),
  organizations: () => ({ queryKey: accountKeys.organizations, queryFn: () => unwrap(api.GET('/v1/me/organizations')) }),
  /** Every workspace of an organization (the switcher lists them all; pages of 100). */
  workspaces: (orgId: string) => ({
    queryKey: accountKeys.workspaces(orgId),
    queryFn: async () => {
      const all: Workspace[] = [];
      for (let page = 1; ; page++) {
        const answer = await unwrap(api.GET('/v1/organizations/{orgId}/workspaces', { params: { path: { orgId }, query: { page, pageSize: 100 } } }));
        all.push(...answer.items);
        if (page >= answer.pageCount) return all;
      }
    },
  }),
};

export function useProfile() {
  return useQuery(accountQueries.profile());
}

export function useMyOrganizations() {
  return useQuery(accountQueries.organizations());
}

export function useWorkspaces(orgId: string | undefined) {
  return useQuery({ ...accountQueries.workspaces(orgId ?? ''), enabled: orgId !== undefined });
}

/** The caller's role in a workspace: the organization-wide role when they have one, else their membership's. */
export function roleIn(organization: MyOrganization | undefined, workspaceId: string | undefined): Role | undefined {
  if (organization === undefined) return undefined;
  if (organization.role !== null) return organization.role;
  return organization.workspaces.find((seat) => seat.workspaceId === workspaceId)?.role;
}
