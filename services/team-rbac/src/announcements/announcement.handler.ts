import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { TeamStreams, type Actor, type TeamCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { TeamCommandRunner } from '../shared/team-command-runner';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { announcementDecider, platformAdminsDecider, readMarkerDecider, type AnnouncementCommand } from './announcement.decider';

/** Whether a person is a platform administrator (libs/team-rbac's PlatformAdminDirectory: configuration and grants). */
export type PlatformAdminCheck = (userId: string) => Promise<boolean>;

const MANAGE = ['DraftAnnouncement', 'ReviseAnnouncement', 'PublishAnnouncement', 'UnpublishAnnouncement'] as const;

/** Announcements, read markers and the platform administrator grant over NATS request/reply. */
export function announcementHandler(names: NatsNames, isPlatformAdmin: PlatformAdminCheck): Type<unknown> {
  /** The gateway's check made again from the service's own view: the system, or a platform administrator. */
  async function mayManage(actor: Actor): Promise<boolean> {
    if (actor.type === 'system') return true;
    return actor.type === 'user' && (await isPlatformAdmin(actor.id));
  }

  @Controller()
  class AnnouncementHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    manage<T extends AnnouncementCommand['type']>(type: T, raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run(type, raw, {
        load: async (command) => ({
          allowed: await mayManage(command.actor),
          announcement: await this.runner.load(TeamStreams.announcement(command.payload.announcementId), announcementDecider),
        }),
        streams: (loaded) => [loaded.announcement],
        decide: (command, loaded) => {
          if (!loaded.allowed) throw new TeamError(TeamErrorCode.Forbidden, `${command.actor.type} ${command.actor.id} is no platform administrator`);
          return announcementDecider.decide(command as AnnouncementCommand, loaded.announcement.state);
        },
      });
    }

    @MessagePattern(names.commandSubject('team', 'DraftAnnouncement'))
    draft(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.manage('DraftAnnouncement', raw);
    }

    @MessagePattern(names.commandSubject('team', 'ReviseAnnouncement'))
    revise(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.manage('ReviseAnnouncement', raw);
    }

    @MessagePattern(names.commandSubject('team', 'PublishAnnouncement'))
    publish(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.manage('PublishAnnouncement', raw);
    }

    @MessagePattern(names.commandSubject('team', 'UnpublishAnnouncement'))
    unpublish(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.manage('UnpublishAnnouncement', raw);
    }

    @MessagePattern(names.commandSubject('team', 'MarkAnnouncementRead'))
    markRead(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('MarkAnnouncementRead', raw, {
        load: async (command) => ({
          markers: await this.runner.load(TeamStreams.user(command.actor.id), readMarkerDecider),
          announcement: await this.runner.load(TeamStreams.announcement(command.payload.announcementId), announcementDecider),
        }),
        streams: (loaded) => [loaded.markers],
        decide: (command, loaded) => {
          this.runner.authorize(command, undefined);
          // only what is published can be read (the gateway has checked the audience)
          if (loaded.announcement.state.status !== 'published') throw new TeamError(TeamErrorCode.NotFound, 'no such announcement');
          return readMarkerDecider.decide(command, loaded.markers.state);
        },
      });
    }

    @MessagePattern(names.commandSubject('team', 'GrantPlatformAdmin'))
    grant(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('GrantPlatformAdmin', raw, {
        load: () => this.runner.load(TeamStreams.platformAdmins(), platformAdminsDecider),
        streams: (admins) => [admins],
        decide: (command, admins) => platformAdminsDecider.decide(command, admins.state),
      });
    }
  }
  return AnnouncementHandler;
}

export const ANNOUNCEMENT_MANAGE_COMMANDS = MANAGE;
