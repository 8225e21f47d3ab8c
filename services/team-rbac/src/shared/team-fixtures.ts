import type { Actor, TeamCommandPayload, TeamCommandType, TeamEvent } from '@steward/contracts';
import type { TeamCommand } from './command';

/** What the decider specs are given: a time, a tenant, an organization, and commands as the handlers build them. */
export const AT = '2026-11-21T10:00:00.000Z';

/** The tenant of the specs' given events. */
export const SCOPE = { organizationId: 'org-1', workspaceId: 'ws-1' };

/** Given: organization org-1 created by u-owner, its first workspace ws-1 active, u-owner its owner member. */
export const ORGANIZATION_CREATED: readonly TeamEvent[] = [
  {
    type: 'OrganizationCreated',
    data: { organizationId: 'org-1', name: 'Acme', ownerUserId: 'u-owner', ownerEmail: 'owner@acme.test', firstWorkspaceId: 'ws-1', createdAt: AT },
  },
  { type: 'WorkspaceCreated', data: { ...SCOPE, name: 'Main', status: 'provisioning', createdBy: 'u-owner', createdAt: AT } },
  { type: 'WorkspaceStatusChanged', data: { ...SCOPE, from: 'provisioning', to: 'active' } },
  { type: 'MemberJoined', data: { ...SCOPE, userId: 'u-owner', email: 'owner@acme.test', role: 'owner', via: 'creation', joinedAt: AT } },
];

export function command<T extends TeamCommandType>(
  type: T,
  payload: TeamCommandPayload<T>,
  actor: Actor | string = 'u-owner',
  at: string = AT,
): TeamCommand<T> {
  return { type, payload, actor: typeof actor === 'string' ? { type: 'user', id: actor } : actor, at };
}
