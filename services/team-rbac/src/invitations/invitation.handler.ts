import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Fold } from '@steward/commands';
import { TeamStreams, type AcceptInvitationAnswer, type InviteMemberAnswer, type TeamCommandAnswer, type TeamEvent } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import type { EnvelopedCommand } from '../shared/command';
import { userProfileDecider } from '../profiles/user-profile.decider';
import { TeamCommandRunner, type CommandPlan, type Loaded } from '../shared/team-command-runner';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { authorizeInScope, loadWorkspaceScope, scopeStates, scopeStreams, type WorkspaceScope } from '../shared/workspace-scope';
import type { UserTokenStore } from '../user-tokens/user-token.store';
import { evolveInvitation, initialInvitationState, invitationDecider, type InvitationCommand, type InvitationState } from './invitation.decider';

/** An invitation's stream folded alone. */
const invitationStream: Fold<InvitationState, TeamEvent> = { initialState: initialInvitationState, evolve: evolveInvitation };

/** Where a new person's user token is issued (UserTokenStore): only what accepting uses. */
export type UserTokenIssuer = Pick<UserTokenStore, 'issueOnce'>;

/** Invitations over NATS request/reply. */
export function invitationHandler(names: NatsNames, userTokens: UserTokenIssuer): Type<unknown> {
  @Controller()
  class InvitationHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    /** Answers when the invitation expires: the decider sets it, the gateway shows it. */
    @MessagePattern(names.commandSubject('team', 'InviteMember'))
    invite(@Payload() raw: unknown): Promise<InviteMemberAnswer> {
      return this.runner.run('InviteMember', raw, { ...this.byWorkspaceMember<'InviteMember'>(), answer: (_command, loaded, answer, decided) => withExpiry(answer, loaded.invitation.state, decided) });
    }

    @MessagePattern(names.commandSubject('team', 'RevokeInvitation'))
    revoke(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('RevokeInvitation', raw, this.byWorkspaceMember());
    }

    /**
     * The invitee is not a member yet: the token is their authority, checked by the decider. A new
     * person (`newUser`) joins, starts their profile and gets a user token, in this one command.
     */
    @MessagePattern(names.commandSubject('team', 'AcceptInvitation'))
    accept(@Payload() raw: unknown): Promise<AcceptInvitationAnswer> {
      return this.runner.run('AcceptInvitation', raw, {
        load: async (command) => {
          const invitation = await this.runner.load(TeamStreams.invitation(command.payload.invitationId), invitationStream);
          const scope = invitation.state.exists
            ? await loadWorkspaceScope(this.runner, command.envelope, invitation.state.workspaceId)
            : undefined;
          const user = command.payload.newUser ? await this.runner.load(TeamStreams.user(command.payload.userId), userProfileDecider) : undefined;
          return { invitation, scope, user };
        },
        streams: (loaded) => [loaded.invitation, ...(loaded.scope ? scopeStreams(loaded.scope) : []), ...(loaded.user ? [loaded.user] : [])],
        decide: (command, loaded) => {
          this.runner.authorize(command, undefined);
          const { workspace, organization } = loaded.scope ? scopeStates(loaded.scope) : invitationDecider.initialState;
          const user = loaded.user?.state ?? userProfileDecider.initialState;
          return invitationDecider.decide(command, { invitation: loaded.invitation.state, workspace, organization, user });
        },
        answer: (command, loaded, answer) => this.accepted(command, loaded.invitation.state, answer),
      });
    }

    /** The acceptance, and a new person's user token: issued once the events are stored, its secret only in this answer. */
    private async accepted(command: EnvelopedCommand<'AcceptInvitation'>, invitation: InvitationState, answer: TeamCommandAnswer): Promise<AcceptInvitationAnswer> {
      // A resent command is answered without deciding again: the token is checked here too, so a command id alone tells nothing.
      if (!invitation.exists || command.payload.tokenHash !== invitation.tokenHash) {
        throw new TeamError(TeamErrorCode.InvalidToken, 'the invitation token does not match');
      }
      const { invitationId, organizationId, workspaceId, email, role } = invitation;
      const { userId } = command.payload;
      const accepted: AcceptInvitationAnswer = { ...answer, invitation: { invitationId, organizationId, workspaceId, email, role }, userId };
      if (!command.payload.newUser) return accepted;
      let issued: Awaited<ReturnType<UserTokenIssuer['issueOnce']>>;
      try {
        issued = await userTokens.issueOnce(command.envelope.commandId, { userId, email });
      } catch {
        // the person has joined; the same command again issues their token
        throw new TeamError(TeamErrorCode.Unavailable, 'the user token could not be issued; resend the same command');
      }
      return issued ? { ...accepted, userToken: { tokenId: issued.tokenId, token: issued.token } } : accepted;
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
          return invitationDecider.decide(command as InvitationCommand, { invitation: loaded.invitation.state, ...scopeStates(loaded.scope), user: userProfileDecider.initialState });
        },
      };
    }
  }
  return InvitationHandler;
}

/** The expiry the decider set: from the event it decided, or for a resent command from the invitation it made. */
function withExpiry(answer: TeamCommandAnswer, invitation: InvitationState, decided: readonly TeamEvent[] | undefined): InviteMemberAnswer {
  const invited = decided?.find((event) => event.type === 'MemberInvited');
  const expiresAt = invited?.type === 'MemberInvited' ? invited.data.expiresAt : invitation.exists ? invitation.expiresAt : undefined;
  if (expiresAt === undefined) throw new Error('InviteMember was accepted without an invitation');
  return { ...answer, expiresAt };
}
