import { TeamStreams } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { command, AT } from '../shared/team-fixtures';
import { streamOf } from '../shared/team-streams';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { workspaceDecider } from '../workspaces/workspace.decider';
import { organizationDecider } from './organization.decider';

const { given } = deciderSpec(organizationDecider);

const create = command('CreateOrganization', {
  organizationId: 'org-1',
  name: 'Acme',
  workspaceId: 'ws-1',
  workspaceName: 'Main',
  owner: { userId: 'u-owner', email: 'owner@acme.test' },
});

describe('organization decider', () => {
  it('creates the organization with its first workspace, active, and the creator as owner member', () => {
    given([])
      .when(create)
      .then((events) => {
        expect(events.map((e) => e.type)).toEqual(['OrganizationCreated', 'WorkspaceCreated', 'WorkspaceStatusChanged', 'MemberJoined']);
        const { organization, workspace } = deciderSpec(workspaceDecider).given(events).state;
        expect(organization).toMatchObject({ exists: true, ownerUserId: 'u-owner', owners: [{ workspaceId: 'ws-1', userId: 'u-owner' }] });
        expect(workspace).toMatchObject({ exists: true, status: 'active', members: { 'u-owner': { role: 'owner', email: 'owner@acme.test' } } });
      });
  });

  it('refuses an organization id already taken', () => {
    const history = given([]).when(create).events();
    given(history).when(create).thenThrows(TeamError, { code: TeamErrorCode.OrganizationExists });
  });

  it('lets a person create an organization for themselves only; the system may name the owner', () => {
    given([])
      .when({ ...create, actor: { type: 'user', id: 'u-other' } })
      .thenThrows(TeamError, { code: TeamErrorCode.Forbidden });
    given([])
      .when({ ...create, actor: { type: 'system', id: 'bootstrap' } })
      .then((events) => expect(events).toHaveLength(4));
  });

  describe('a further workspace', () => {
    const history = given([]).when(create).events();
    /** What the decision on a new workspace ws-2 reads: the organization's stream (ws-2 has none yet). */
    const organizationStream = history.filter((event) => streamOf(event) === TeamStreams.organization('org-1'));
    const createWorkspace = (actor: string) =>
      command('CreateWorkspace', { organizationId: 'org-1', workspaceId: 'ws-2', name: 'Second', ownerEmail: `${actor}@acme.test` }, actor);

    it('is created by an owner, who becomes its owner and takes an owner seat', () => {
      given(organizationStream)
        .when(createWorkspace('u-owner'))
        .then((events) => {
          expect(events.map((e) => e.type)).toEqual(['WorkspaceCreated', 'WorkspaceStatusChanged', 'MemberJoined', 'OrganizationOwnerAdded']);
          expect(given([...history, ...events]).state.organization).toMatchObject({
            owners: [
              { workspaceId: 'ws-1', userId: 'u-owner' },
              { workspaceId: 'ws-2', userId: 'u-owner' },
            ],
          });
        });
    });

    it('is refused to anyone else (NOT_OWNER) and in an unknown organization (NOT_FOUND)', () => {
      given(organizationStream).when(createWorkspace('u-admin')).thenThrows(TeamError, { code: TeamErrorCode.NotOwner });
      given([]).when(createWorkspace('u-owner')).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
    });

    it('refuses a workspace id already taken', () => {
      const taken = command('CreateWorkspace', { organizationId: 'org-1', workspaceId: 'ws-1', name: 'Again', ownerEmail: 'o@acme.test' });
      given(history).when(taken).thenThrows(TeamError, { code: TeamErrorCode.WorkspaceExists });
    });
  });

  it('takes time from the command', () => {
    given([])
      .when(create)
      .then(([created]) => expect(created).toMatchObject({ data: { createdAt: AT } }));
  });
});
