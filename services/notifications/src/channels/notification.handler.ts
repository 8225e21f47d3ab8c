import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NotificationCommandAnswer, NotificationCommandType } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { NotificationCommandRunner } from './notification-command.runner';

/** The notifications context's commands over NATS request/reply (`<prefix>cmd.notifications.<Type>`): translate and hand over. */
export function notificationHandler(names: NatsNames): Type<unknown> {
  const subject = (type: NotificationCommandType) => names.commandSubject('notifications', type);

  @Controller()
  class NotificationHandler {
    constructor(@Inject(NotificationCommandRunner) private readonly runner: NotificationCommandRunner) {}

    @MessagePattern(subject('CreateNotificationChannel'))
    create(@Payload() raw: unknown): Promise<NotificationCommandAnswer> {
      return this.runner.run('CreateNotificationChannel', raw);
    }

    @MessagePattern(subject('UpdateNotificationChannel'))
    update(@Payload() raw: unknown): Promise<NotificationCommandAnswer> {
      return this.runner.run('UpdateNotificationChannel', raw);
    }

    @MessagePattern(subject('RotateNotificationSecret'))
    rotate(@Payload() raw: unknown): Promise<NotificationCommandAnswer> {
      return this.runner.run('RotateNotificationSecret', raw);
    }

    @MessagePattern(subject('DeleteNotificationChannel'))
    delete(@Payload() raw: unknown): Promise<NotificationCommandAnswer> {
      return this.runner.run('DeleteNotificationChannel', raw);
    }

    @MessagePattern(subject('SendTestNotification'))
    test(@Payload() raw: unknown): Promise<NotificationCommandAnswer> {
      return this.runner.run('SendTestNotification', raw);
    }

    @MessagePattern(subject('ResendNotification'))
    resend(@Payload() raw: unknown): Promise<NotificationCommandAnswer> {
      return this.runner.run('ResendNotification', raw);
    }
  }
  return NotificationHandler;
}
