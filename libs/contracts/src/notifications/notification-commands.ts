import { z } from 'zod';
import type { CommandAnswer } from '../command';
import { TeamIdSchema } from '../team/team-fields';
import {
  NotificationChannelIdSchema,
  NotificationChannelKindSchema,
  NotificationChannelNameSchema,
  NotificationEventTypesSchema,
  NotificationMessageIdSchema,
  NotificationRecipientsSchema,
  NotificationUrlSchema,
} from './notification-fields';

/*
 * The payloads of the notifications context's commands
 * (`<prefix>cmd.notifications.<Type>` over NATS request/reply, never
 * persisted). A Slack channel's `url` is a credential: the service stores it
 * encrypted before anything is stored or logged. Ids of new things are chosen
 * by the caller (the gateway derives them from the command id).
 */

const org = { organizationId: TeamIdSchema };

export const CreateNotificationChannelPayload = z
  .object({
    ...org,
    channelId: NotificationChannelIdSchema,
    workspaceId: TeamIdSchema.optional(),
    name: NotificationChannelNameSchema,
    kind: NotificationChannelKindSchema,
    /** webhook: the endpoint; slack: the incoming-webhook URL. */
    url: NotificationUrlSchema.optional(),
    /** email: who receives. */
    recipients: NotificationRecipientsSchema.optional(),
    events: NotificationEventTypesSchema,
  })
  .strict()
  .superRefine((payload, context) => {
    for (const issue of channelTargetIssues(payload)) context.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
  });

/** A channel's target fields as its kind wants them: webhook and Slack a url, email recipients. */
export function channelTargetIssues(target: { kind: string; url?: unknown; recipients?: unknown }): Array<{ field: 'url' | 'recipients'; message: string }> {
  const issues: Array<{ field: 'url' | 'recipients'; message: string }> = [];
  if (target.kind !== 'email' && target.url === undefined) issues.push({ field: 'url', message: `a ${target.kind} channel needs a url` });
  if (target.kind === 'email' && target.recipients === undefined) issues.push({ field: 'recipients', message: 'an email channel needs recipients' });
  if (target.kind === 'email' && target.url !== undefined) issues.push({ field: 'url', message: 'an email channel has no url' });
  if (target.kind !== 'email' && target.recipients !== undefined) issues.push({ field: 'recipients', message: `a ${target.kind} channel has no recipients` });
  return issues;
}

/** Only the fields sent change; `workspaceId: null` widens the channel to the whole organization. */
export const UpdateNotificationChannelPayload = z
  .object({
    ...org,
    channelId: NotificationChannelIdSchema,
    workspaceId: TeamIdSchema.nullable().optional(),
    name: NotificationChannelNameSchema.optional(),
    url: NotificationUrlSchema.optional(),
    recipients: NotificationRecipientsSchema.optional(),
    events: NotificationEventTypesSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const RotateNotificationSecretPayload = z.object({ ...org, channelId: NotificationChannelIdSchema }).strict();
export const DeleteNotificationChannelPayload = z.object({ ...org, channelId: NotificationChannelIdSchema }).strict();
export const SendTestNotificationPayload = z.object({ ...org, channelId: NotificationChannelIdSchema, messageId: NotificationMessageIdSchema }).strict();
export const ResendNotificationPayload = z.object({ ...org, messageId: NotificationMessageIdSchema }).strict();

export const NotificationCommandPayloads = {
  CreateNotificationChannel: CreateNotificationChannelPayload,
  UpdateNotificationChannel: UpdateNotificationChannelPayload,
  RotateNotificationSecret: RotateNotificationSecretPayload,
  DeleteNotificationChannel: DeleteNotificationChannelPayload,
  SendTestNotification: SendTestNotificationPayload,
  ResendNotification: ResendNotificationPayload,
} as const;

export type NotificationCommandType = keyof typeof NotificationCommandPayloads;
export type NotificationCommandPayload<T extends NotificationCommandType> = z.output<(typeof NotificationCommandPayloads)[T]>;
export type NotificationCommandInput<T extends NotificationCommandType> = z.input<(typeof NotificationCommandPayloads)[T]>;

/**
 * What the notifications service answers. A webhook's signing secret
 * (`whsec_…`) is in the answer of the command that made it (creation,
 * rotation; again on a resend of that same command) and nowhere else.
 */
export interface NotificationCommandAnswer extends CommandAnswer {
  readonly secret?: string;
  /** The masked hint of the channel's secret, when the command set one. */
  readonly secretHint?: string;
  /** SendTestNotification, ResendNotification: the message queued. */
  readonly messageId?: string;
}
