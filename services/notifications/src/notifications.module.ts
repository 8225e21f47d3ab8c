import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsNames } from '@steward/messaging';
import { NotificationCommandRunner } from './channels/notification-command.runner';
import { notificationHandler } from './channels/notification.handler';

export interface NotificationsModuleOptions {
  /** Subjects: `names.commandSubject('notifications', <CommandType>)`. */
  readonly names: NatsNames;
  readonly runner: NotificationCommandRunner;
}

@Module({})
export class NotificationsModule {
  static register(options: NotificationsModuleOptions): DynamicModule {
    return {
      module: NotificationsModule,
      controllers: [notificationHandler(options.names)],
      providers: [{ provide: NotificationCommandRunner, useValue: options.runner }],
    };
  }
}
