import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { TeamStreams, type TeamCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { TeamCommandRunner } from '../shared/team-command-runner';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { actorRole, organizationStream, workspaceStream } from '../shared/workspace-scope';
import { organizationDecider } from './organization.decider';

/** CreateOrganization and CreateWorkspace over NATS request/reply. */
export function organizationHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class OrganizationHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    @MessagePattern(names.commandSubject('team', 'CreateOrganization'))
    createOrganization(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('CreateOrganization', raw, {
        load: ({ payload }) => this.loadStreams(payload),
        streams: (loaded) => [loaded.organization, loaded.workspace],
        decide: (command, loaded) => {
          // Nobody holds a role in an organization that does not exist yet.
          this.runner.authorize(command, undefined);
          return organizationDecider.decide(command, { organization: loaded.organization.state, workspace: loaded.workspace.state });
        },
      });
    }

    @MessagePattern(names.commandSubject('team', 'CreateWorkspace'))
    createWorkspace(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('CreateWorkspace', raw, {
        load: ({ payload }) => this.loadStreams(payload),
        streams: (loaded) => [loaded.organization, loaded.workspace],
        decide: (command, loaded) => {
          const organization = loaded.organization.state;
          if (!organization.exists) throw new TeamError(TeamErrorCode.NotFound, `no organization ${command.payload.organizationId}`);
          const role = actorRole(command.actor, { exists: false }, organization);
          this.runner.authorize(command, role);
          return organizationDecider.decide(command, { organization, workspace: loaded.workspace.state });
        },
      });
    }

    /** Both commands decide on the organization and on the workspace they name. */
    private async loadStreams(payload: { organizationId: string; workspaceId: string }) {
      return {
        organization: await this.runner.load(TeamStreams.organization(payload.organizationId), organizationStream),
        workspace: await this.runner.load(TeamStreams.workspace(payload.workspaceId), workspaceStream),
      };
    }
  }
  return OrganizationHandler;
}
