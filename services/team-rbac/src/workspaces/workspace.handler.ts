import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { TeamCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { TeamCommandRunner, type CommandPlan } from '../shared/team-command-runner';
import { authorizeInScope, loadWorkspaceScope, scopeStates, scopeStreams, type WorkspaceScope } from '../shared/workspace-scope';
import { workspaceDecider, type WorkspaceCommand } from './workspace.decider';

/** Workspace settings and membership over NATS request/reply. */
export function workspaceHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class WorkspaceHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    @MessagePattern(names.commandSubject('team', 'RenameWorkspace'))
    rename(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('RenameWorkspace', raw, this.plan());
    }

    @MessagePattern(names.commandSubject('team', 'ChangeWorkspaceStatus'))
    changeStatus(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('ChangeWorkspaceStatus', raw, this.plan());
    }

    @MessagePattern(names.commandSubject('team', 'UpdateWorkspace'))
    update(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('UpdateWorkspace', raw, this.plan());
    }

    @MessagePattern(names.commandSubject('team', 'ChangeMemberRole'))
    changeMemberRole(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('ChangeMemberRole', raw, this.plan());
    }

    @MessagePattern(names.commandSubject('team', 'RemoveMember'))
    removeMember(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('RemoveMember', raw, this.plan());
    }

    private plan<T extends WorkspaceCommand['type']>(): CommandPlan<T, WorkspaceScope> {
      return {
        load: (command) => loadWorkspaceScope(this.runner, command.envelope, command.payload.workspaceId),
        streams: scopeStreams,
        decide: (command, scope) => {
          authorizeInScope(this.runner, command, scope);
          return workspaceDecider.decide(command as WorkspaceCommand, scopeStates(scope));
        },
      };
    }
  }
  return WorkspaceHandler;
}
