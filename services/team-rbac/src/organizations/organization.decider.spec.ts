import type { TeamEvent } from '@steward/contracts';
import { command, given, refusal, AT } from '../shared/decider-testing';
import { TeamErrorCode } from '../shared/team.error';
import { workspaceAggregate } from '../workspaces/workspace.state';
import { decideOrganization } from './organization.decider';
import { organizationAggregate } from './organization.state';

const create = command('CreateOrganization', {
  organizationId: 'org-1',
  name: 'Acme',
  workspaceId: 'ws-1',
  workspaceName: 'Main',
  owner: { userId: 'u-owner', email: 'owner@acme.test' },
});

describe('organization decider', () => {
  const absent = { organization: organizationAggregate.initial, workspace: workspaceAggregate.initial };

  it('creates the organization with its first workspace, active, and the creator as owner member', () => {
    const events = decideOrganization(create, absent);
    expect(events.map((e) => e.type)).toEqual(['OrganizationCreated', 'WorkspaceCreated', 'WorkspaceStatusChanged', 'MemberJoined']);
    const organization = given(organizationAggregate, events);
    const workspace = given(workspaceAggregate, events);
    expect(organization).toMatchObject({ exists: true, ownerUserId: 'u-owner', owners: [{ workspaceId: 'ws-1', userId: 'u-owner' }] });
    expect(workspace).toMatchObject({ exists: true, status: 'active', members: { 'u-owner': { role: 'owner', email: 'owner@acme.test' } } });
  });

  it('refuses an organization id already taken', () => {
    const history = decideOrganization(create, absent);
    const state = { organization: given(organizationAggregate, history), workspace: workspaceAggregate.initial };
    expect(refusal(() => decideOrganization(create, state))).toBe(TeamErrorCode.OrganizationExists);
  });

  it('lets a person create an organization for themselves only; the system may name the owner', () => {
    expect(refusal(() => decideOrganization({ ...create, actor: { type: 'user', id: 'u-other' } }, absent))).toBe(TeamErrorCode.Forbidden);
    expect(decideOrganization({ ...create, actor: { type: 'system', id: 'bootstrap' } }, absent)).toHaveLength(4);
  });

  describe('a further workspace', () => {
    const history: TeamEvent[] = decideOrganization(create, absent);
    const organization = given(organizationAggregate, history);
    const createWorkspace = (actor: string) =>
      command('CreateWorkspace', { organizationId: 'org-1', workspaceId: 'ws-2', name: 'Second', ownerEmail: `${actor}@acme.test` }, actor);

    it('is created by an owner, who becomes its owner and takes an owner seat', () => {
      const events = decideOrganization(createWorkspace('u-owner'), { organization, workspace: workspaceAggregate.initial });
      expect(events.map((e) => e.type)).toEqual(['WorkspaceCreated', 'WorkspaceStatusChanged', 'MemberJoined', 'OrganizationOwnerAdded']);
      expect(given(organizationAggregate, [...history, ...events])).toMatchObject({
        owners: [
          { workspaceId: 'ws-1', userId: 'u-owner' },
          { workspaceId: 'ws-2', userId: 'u-owner' },
        ],
      });
    });

    it('is refused to anyone else (NOT_OWNER) and in an unknown organization (NOT_FOUND)', () => {
      expect(refusal(() => decideOrganization(createWorkspace('u-admin'), { organization, workspace: workspaceAggregate.initial }))).toBe(
        TeamErrorCode.NotOwner,
      );
      expect(refusal(() => decideOrganization(createWorkspace('u-owner'), absent))).toBe(TeamErrorCode.NotFound);
    });

    it('refuses a workspace id already taken', () => {
      const workspace = given(workspaceAggregate, history);
      const taken = command('CreateWorkspace', { organizationId: 'org-1', workspaceId: 'ws-1', name: 'Again', ownerEmail: 'o@acme.test' });
      expect(refusal(() => decideOrganization(taken, { organization, workspace }))).toBe(TeamErrorCode.WorkspaceExists);
    });
  });

  it('takes time from the command', () => {
    const [created] = decideOrganization(create, absent);
    expect(created).toMatchObject({ data: { createdAt: AT } });
  });
});
