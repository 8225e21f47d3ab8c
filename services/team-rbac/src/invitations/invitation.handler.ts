import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Fold } from '@steward/commands';
import { TeamStreams, type TeamCommandAnswer, type TeamEvent } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { TeamCommandRunner, type CommandPlan, type Loaded } from '../shared/team-command-runner';
import { authorizeInScope, loadWorkspaceScope, scopeStates, scopeStreams, type WorkspaceScope } from '../shared/workspace-scope';
import { evolveInvitation, initialInvitationState, invitationDecider, type InvitationCommand, type InvitationState } from './invitation.decider';

/** An invitation's stream folded alone. */
const invitationStream: Fold<InvitationState, TeamEvent> = { initialState: initialInvitationState, evolve: evolveInvitation };

/** Invitations over NATS request/reply. */
export function invitationHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class InvitationHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    @MessagePattern(names.commandSubject('team', 'InviteMember'))
    invite(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('InviteMember', raw, this.byWorkspaceMember());
    }

    @MessagePattern(names.commandSubject('team', 'RevokeInvitation'))
    revoke(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('RevokeInvitation', raw, this.byWorkspaceMember());
    }

    /** The invitee is not a member yet: the token is their authority, checked by the decider. */
    @MessagePattern(names.commandSubject('team', 'AcceptInvitation'))
    accept(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('AcceptInvitation', raw, {
        load: async (command) => {
          const invitation = await this.runner.load(TeamStreams.invitation(command.payload.invitationId), invitationStream);
          const scope = invitation.state.exists
            ? await loadWorkspaceScope(this.runner, command.envelope, invitation.state.workspaceId)
            : undefined;
          return { invitation, scope };
        },
        streams: (loaded) => [loaded.invitation, ...(loaded.scope ? scopeStreams(loaded.scope) : [])],
        decide: (command, loaded) => {
          this.runner.authorize(command, undefined);
          const { workspace, organization } = loaded.scope ? scopeStates(loaded.scope) : invitationDecider.initialState;
          return invitationDecider.decide(command, { invitation: loaded.invitation.state, workspace, organization });
        },
      });
    }

    /** Inviting and revoking: decided on the invitation and its workspace, by a role the actor holds there. */
    private byWorkspaceMember<T extends 'InviteMember' | 'RevokeInvitation'>(): CommandPlan<T, { invitation: Loaded<InvitationState>; scope: WorkspaceScope }> {
      return {
        load: async (command) => ({
          invitation: await this.runner.load(TeamStreams.invitation(command.payload.invitationId), invitationStream),
          scope: await loadWorkspaceScope(this.runner, command.envelope, command.payload.workspaceId),
        }),
        streams: (loaded) => [loaded.invitation, ...scopeStreams(loaded.scope)],
        decide: (command, loaded) => {
          authorizeInScope(this.runner, command, loaded.scope);
          return invitationDecider.decide(command as InvitationCommand, { invitation: loaded.invitation.state, ...scopeStates(loaded.scope) });
        },
      };
    }
  }
  return InvitationHandler;
}
