import type { paths } from '../../api/schema.generated';

export const ROLES = ['owner', 'admin', 'billing', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export type Member = paths['/v1/workspaces/{wsId}/members']['get']['responses'][200]['content']['application/json']['items'][number];
export type InvitationPage = paths['/v1/workspaces/{wsId}/invitations']['get']['responses'][200]['content']['application/json'];

export const teamKeys = {
  members: (wsId: string) => ['workspaces', wsId, 'members'] as const,
  invitations: (wsId: string) => ['workspaces', wsId, 'invitations'] as const,
};
