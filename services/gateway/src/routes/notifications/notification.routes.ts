import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  NotificationChannelKindSchema,
  NotificationChannelNameSchema,
  NotificationEventTypesSchema,
  NotificationRecipientsSchema,
  NotificationUrlSchema,
  TeamIdSchema,
  channelTargetIssues,
  derivedId,
} from '@steward/contracts';
import type { CommandClient } from '@steward/messaging';
import { NotificationReadRepository } from '@steward/notifications';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import type { WriteSettler } from '../../read-your-writes';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { callerOf as defaultCallerOf, type Caller } from '../caller';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery } from '../route-params';
import { NotificationCommandSender } from './notification-command.sender';
import {
  NotificationChannelCreatedSchema,
  NotificationChannelPageSchema,
  NotificationChannelViewSchema,
  NotificationMessagePageSchema,
  NotificationMessageViewSchema,
  NotificationQueuedSchema,
  NotificationSecretRotatedSchema,
} from './notification-views.schema';

export interface NotificationRoutesDeps {
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  readonly readYourWrites: WriteSettler;
  /** Over the database holding the notifications read model. */
  readonly db: Kysely<unknown>;
  readonly callerOf?: (principal: Principal) => Caller;
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
}

const OrgPath = z.strictObject({ orgId: PathId });
const ChannelPath = z.strictObject({ orgId: PathId, id: PathId });
const MessagePath = z.strictObject({ orgId: PathId, messageId: PathId });
const Empty = z.strictObject({});
const StatusFilter = z.enum(['pending', 'retrying', 'delivered', 'dead']);

const CreateChannelBody = z
  .strictObject({
    name: NotificationChannelNameSchema,
    kind: NotificationChannelKindSchema,
    /** webhook: the endpoint (signed per Standard Webhooks); slack: the incoming-webhook URL (stored encrypted, shown as a hint). */
    url: NotificationUrlSchema.optional(),
    /** email: the recipients. */
    recipients: NotificationRecipientsSchema.optional(),
    /** The events to deliver. */
    events: NotificationEventTypesSchema,
    /** Only this workspace's events (default: the whole organization's). */
    workspaceId: TeamIdSchema.optional(),
  })
  .superRefine((body, context) => {
    for (const issue of channelTargetIssues(body)) context.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
  });

const UpdateChannelBody = z
  .strictObject({
    name: NotificationChannelNameSchema.optional(),
    url: NotificationUrlSchema.optional(),
    recipients: NotificationRecipientsSchema.optional(),
    events: NotificationEventTypesSchema.optional(),
    /** null: the whole organization's events. */
    workspaceId: TeamIdSchema.nullable().optional(),
    /** false stops deliveries; true enables a channel again (also one disabled by a 410). */
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' });

/**
 * Notification channels (issue 15): webhooks signed per Standard Webhooks,
 * Slack incoming webhooks, email; which events each receives; the signing
 * secret's rotation; a test message; the delivery log with its attempts, the
 * dead letters and resend. Owners, admins and billing members manage and
 * read them; a secret is shown in the answer that made it, never again.
 */
export function notificationRoutes(deps: NotificationRoutesDeps): AnyRoute[] {
  const reads = new NotificationReadRepository(deps.db);
  const sender = new NotificationCommandSender({ commands: deps.commands, natsPrefix: deps.natsPrefix, readYourWrites: deps.readYourWrites, ...(deps.commandTimeoutMs ? { timeoutMs: deps.commandTimeoutMs } : {}) });
  const caller = (principal: Principal | undefined): Caller => {
    if (!principal) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'this route needs a user token');
    return (deps.callerOf ?? defaultCallerOf)(principal);
  };
  const target = (principal: Principal | undefined, commandId: string, organizationId: string, requestId: string) => ({
    commandId,
    caller: caller(principal),
    organizationId,
    requestId,
    issuedAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  const channelOrNotFound = async (organizationId: string, channelId: string) => {
    const channel = await reads.channel(organizationId, channelId);
    if (!channel) throw new GatewayError(GatewayErrorCode.NotFound, 'no such notification channel');
    return channel;
  };
  const tags = ['notifications'];

  return [
    defineRoute({
      operationId: 'listNotificationChannels',
      method: 'GET',
      path: '/v1/organizations/{orgId}/notification-channels',
      summary: 'Notification channels of the organization (webhook, Slack, email) and the events each receives',
      tags,
      permission: 'notifications.read',
      scope: 'organization',
      params: OrgPath,
      query: z.strictObject({ ...pageQuery }),
      responses: { 200: NotificationChannelPageSchema },
      handler: async ({ params, query }) => ({ status: 200, body: await reads.listChannels(params.orgId, query) }),
    }),
    defineRoute({
      operationId: 'createNotificationChannel',
      method: 'POST',
      path: '/v1/organizations/{orgId}/notification-channels',
      summary: 'Create a channel: a signed webhook (the answer shows its whsec_ secret once), a Slack incoming webhook, or email',
      description: [
        'A webhook or Slack URL on a private, loopback or link-local address is refused (400 naming body.url) unless NOTIFICATIONS_WEBHOOK_ALLOWLIST names it.',
        'Webhook deliveries carry webhook-id, webhook-timestamp and webhook-signature (v1,<HMAC-SHA256 of id.timestamp.body>); the body is { type, timestamp, data }.',
      ].join(' '),
      tags,
      permission: 'notifications.write',
      scope: 'organization',
      params: OrgPath,
      body: CreateChannelBody,
      responses: { 201: NotificationChannelCreatedSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const channelId = derivedId('notificationChannel', commandId);
        const answer = await sender.send('CreateNotificationChannel', { organizationId: params.orgId, channelId, ...body }, target(principal, commandId, params.orgId, requestId));
        const channel = await channelOrNotFound(params.orgId, channelId);
        return {
          status: 201,
          headers: { location: `/v1/organizations/${params.orgId}/notification-channels/${channelId}` },
          body: { ...channel, ...(answer.secret !== undefined ? { secret: answer.secret } : {}) },
        };
      },
    }),
    defineRoute({
      operationId: 'getNotificationChannel',
      method: 'GET',
      path: '/v1/organizations/{orgId}/notification-channels/{id}',
      summary: 'One notification channel: target, subscriptions, whether it is enabled (and why not), its secret as a hint',
      tags,
      permission: 'notifications.read',
      scope: 'organization',
      params: ChannelPath,
      responses: { 200: NotificationChannelViewSchema },
      handler: async ({ params }) => ({ status: 200, body: await channelOrNotFound(params.orgId, params.id) }),
    }),
    defineRoute({
      operationId: 'updateNotificationChannel',
      method: 'PATCH',
      path: '/v1/organizations/{orgId}/notification-channels/{id}',
      summary: 'Change a channel: name, target, subscriptions, workspace; enable or disable it',
      description: 'Only the fields sent change. A Slack URL sent replaces the stored one (encrypted). enabled: true enables a channel a 410 disabled.',
      tags,
      permission: 'notifications.write',
      scope: 'organization',
      params: ChannelPath,
      body: UpdateChannelBody,
      responses: { 200: NotificationChannelViewSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        await sender.send('UpdateNotificationChannel', { organizationId: params.orgId, channelId: params.id, ...body }, target(principal, commandIdFor(principal, idempotencyKey), params.orgId, requestId));
        return { status: 200, body: await channelOrNotFound(params.orgId, params.id) };
      },
    }),
    defineRoute({
      operationId: 'deleteNotificationChannel',
      method: 'DELETE',
      path: '/v1/organizations/{orgId}/notification-channels/{id}',
      summary: 'Delete a channel and its stored secrets; its queued messages become dead letters',
      tags,
      permission: 'notifications.write',
      scope: 'organization',
      params: ChannelPath,
      responses: { 204: null },
      handler: async ({ params, principal, requestId }) => {
        await sender.send('DeleteNotificationChannel', { organizationId: params.orgId, channelId: params.id }, target(principal, commandIdFor(principal, undefined), params.orgId, requestId));
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'rotateNotificationChannelSecret',
      method: 'POST',
      path: '/v1/organizations/{orgId}/notification-channels/{id}/rotate-secret',
      summary: 'Rotate a webhook’s signing secret: the new one is answered once; the previous one keeps signing for the overlap (default 24 h)',
      description: 'Send an empty JSON object as the body. During the overlap each delivery carries two space-separated v1 signatures.',
      tags,
      permission: 'notifications.write',
      scope: 'organization',
      params: ChannelPath,
      body: Empty,
      responses: { 200: NotificationSecretRotatedSchema },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        const answer = await sender.send('RotateNotificationSecret', { organizationId: params.orgId, channelId: params.id }, target(principal, commandIdFor(principal, idempotencyKey), params.orgId, requestId));
        const channel = await channelOrNotFound(params.orgId, params.id);
        return {
          status: 200,
          body: { id: params.id, secret: answer.secret ?? '', secretHint: answer.secretHint ?? channel.secretHint ?? '', previousSecretValidUntil: channel.previousSecretValidUntil ?? channel.updatedAt },
        };
      },
    }),
    defineRoute({
      operationId: 'testNotificationChannel',
      method: 'POST',
      path: '/v1/organizations/{orgId}/notification-channels/{id}/test',
      summary: 'Send a test message (type NotificationTest) through the channel: 202 with its message id; the outcome shows in the delivery log',
      description: 'Send an empty JSON object as the body. A disabled channel is a 409.',
      tags,
      permission: 'notifications.write',
      scope: 'organization',
      params: ChannelPath,
      body: Empty,
      responses: { 202: NotificationQueuedSchema },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const messageId = derivedId('notificationMessage', commandId);
        await sender.send('SendTestNotification', { organizationId: params.orgId, channelId: params.id, messageId }, target(principal, commandId, params.orgId, requestId));
        return { status: 202, body: { messageId, status: 'pending' as const } };
      },
    }),
    defineRoute({
      operationId: 'listNotificationChannelDeliveries',
      method: 'GET',
      path: '/v1/organizations/{orgId}/notification-channels/{id}/deliveries',
      summary: 'A channel’s delivery log, newest first: each message with its attempts (status code, latency, error)',
      tags,
      permission: 'notifications.read',
      scope: 'organization',
      params: ChannelPath,
      query: z.strictObject({ status: StatusFilter.optional(), ...pageQuery }),
      responses: { 200: NotificationMessagePageSchema },
      handler: async ({ params, query }) => {
        await channelOrNotFound(params.orgId, params.id);
        const { status, ...page } = query;
        return { status: 200, body: await reads.deliveries(params.orgId, { channelId: params.id, ...(status ? { status } : {}) }, page) };
      },
    }),
    defineRoute({
      operationId: 'listNotificationDeliveries',
      method: 'GET',
      path: '/v1/organizations/{orgId}/notification-deliveries',
      summary: 'The organization’s delivery log across channels; status=dead lists the dead letters',
      tags,
      permission: 'notifications.read',
      scope: 'organization',
      params: OrgPath,
      query: z.strictObject({ status: StatusFilter.optional(), ...pageQuery }),
      responses: { 200: NotificationMessagePageSchema },
      handler: async ({ params, query }) => {
        const { status, ...page } = query;
        return { status: 200, body: await reads.deliveries(params.orgId, status ? { status } : {}, page) };
      },
    }),
    defineRoute({
      operationId: 'getNotificationDelivery',
      method: 'GET',
      path: '/v1/organizations/{orgId}/notification-deliveries/{messageId}',
      summary: 'One message of the delivery log with every attempt',
      tags,
      permission: 'notifications.read',
      scope: 'organization',
      params: MessagePath,
      responses: { 200: NotificationMessageViewSchema },
      handler: async ({ params }) => {
        const message = await reads.message(params.orgId, params.messageId);
        if (!message) throw new GatewayError(GatewayErrorCode.NotFound, 'no such notification message');
        return { status: 200, body: message };
      },
    }),
    defineRoute({
      operationId: 'resendNotificationDelivery',
      method: 'POST',
      path: '/v1/organizations/{orgId}/notification-deliveries/{messageId}/resend',
      summary: 'Send a message again (a new round of attempts, the same webhook-id): a dead letter, or one delivered',
      description: 'Send an empty JSON object as the body. A message of a disabled channel is a 409: enable the channel first.',
      tags,
      permission: 'notifications.write',
      scope: 'organization',
      params: MessagePath,
      body: Empty,
      responses: { 202: NotificationQueuedSchema },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        await sender.send('ResendNotification', { organizationId: params.orgId, messageId: params.messageId }, target(principal, commandIdFor(principal, idempotencyKey), params.orgId, requestId));
        return { status: 202, body: { messageId: params.messageId, status: 'pending' as const } };
      },
    }),
  ];
}
