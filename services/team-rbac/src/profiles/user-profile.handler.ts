import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { TeamStreams, type TeamCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { TeamCommandRunner } from '../shared/team-command-runner';
import { userProfileDecider } from './user-profile.decider';

/** A person's own profile over NATS request/reply. */
export function userProfileHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class UserProfileHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    @MessagePattern(names.commandSubject('team', 'UpdateUserProfile'))
    update(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('UpdateUserProfile', raw, {
        load: (command) => this.runner.load(TeamStreams.user(command.actor.id), userProfileDecider),
        streams: (profile) => [profile],
        decide: (command, profile) => {
          this.runner.authorize(command, undefined);
          return userProfileDecider.decide(command, profile.state);
        },
      });
    }
  }
  return UserProfileHandler;
}
