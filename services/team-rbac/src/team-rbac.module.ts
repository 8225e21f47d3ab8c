import { Module, type DynamicModule } from '@nestjs/common';
import type { EventStore } from '@steward/event-store';
import type { NatsNames } from '@steward/messaging';
import { announcementHandler, type PlatformAdminCheck } from './announcements/announcement.handler';
import { apiKeyHandler } from './api-keys/api-key.handler';
import { invitationHandler } from './invitations/invitation.handler';
import { organizationHandler } from './organizations/organization.handler';
import { userProfileHandler } from './profiles/user-profile.handler';
import { TeamCommandRunner } from './shared/team-command-runner';
import type { TeamAuthorizer } from './shared/team-authorizer';
import type { UserTokenIssuer } from './invitations/invitation.handler';
import { workspaceHandler } from './workspaces/workspace.handler';

export interface TeamRbacModuleOptions {
  readonly store: EventStore;
  /** Subjects: `names.commandSubject('team', <CommandType>)`. */
  readonly names: NatsNames;
  readonly authorize: TeamAuthorizer;
  /** Issues a new person's user token on accepting an invitation (UserTokenStore over the team's user-token table). */
  readonly userTokens: UserTokenIssuer;
  /** Who is a platform administrator (PlatformAdminDirectory over the read model and STEWARD_PLATFORM_ADMINS). */
  readonly isPlatformAdmin: PlatformAdminCheck;
  /** Attempts on a concurrency conflict before CONFLICT. Default 4. */
  readonly maxAttempts?: number;
}

@Module({})
export class TeamRbacModule {
  /** Every team command handler, answering on the subjects of `names`. */
  static register(options: TeamRbacModuleOptions): DynamicModule {
    const runner = new TeamCommandRunner({
      store: options.store,
      authorize: options.authorize,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    });
    return {
      module: TeamRbacModule,
      controllers: [
        organizationHandler(options.names),
        workspaceHandler(options.names),
        invitationHandler(options.names, options.userTokens),
        apiKeyHandler(options.names),
        userProfileHandler(options.names),
        announcementHandler(options.names, options.isPlatformAdmin),
      ],
      providers: [{ provide: TeamCommandRunner, useValue: runner }],
    };
  }
}
